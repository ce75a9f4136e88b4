//! No input makes the tokenizer panic: every fixture, truncated at every length and with bytes
//! overwritten at seeded random places, gives tokens or an error.

use emopiano_common::rng::{Lcg, Rng};
use emopiano_tokenizer::{DecodeOptions, TokenizerKind, fixtures};

#[test]
fn mutated_and_truncated_files_never_panic() {
    let tokenizer = TokenizerKind::NotesChords.build(DecodeOptions::default());
    // EMOPIANO_FUZZ_ROUNDS raises the mutations per fixture for a longer local run.
    let rounds: usize = std::env::var("EMOPIANO_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let mut rng = Lcg::new(
        std::env::var("EMOPIANO_FUZZ_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(42),
    );
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for f in fixtures::all() {
        let b = f.bytes;
        for cut in (0..b.len()).step_by(7) {
            inputs.push(b[..cut].to_vec());
        }
        for _ in 0..rounds {
            let mut m = b.clone();
            for _ in 0..1 + rng.below(4) as usize {
                let at = rng.below(m.len() as u64) as usize;
                // Bias towards bytes that matter: status bytes, large delta times, 0xFF meta.
                m[at] = [0x00, 0x7f, 0x80, 0x90, 0xff, 0xf0, rng.below(256) as u8]
                    [rng.below(7) as usize];
            }
            inputs.push(m);
        }
    }
    inputs.push(
        b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x00\x00MTrk\x00\x00\x00\x04\x00\xff\x2f\x00"
            .to_vec(),
    );
    inputs.push(b"MThd\x00\x00\x00\x06\x00\x02\x00\x01\x01\xe0".to_vec());
    let mut outcomes = [0usize; 2];
    for bytes in &inputs {
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tokenizer.encode(bytes)));
        match result {
            Ok(Ok(_)) => outcomes[0] += 1,
            Ok(Err(_)) => outcomes[1] += 1,
            Err(_) => panic!("panicked on input {:02x?}", bytes),
        }
    }
    // Both outcomes occur: the mutations neither all break the files nor all leave them intact.
    assert!(outcomes[0] > 100 && outcomes[1] > 100, "{outcomes:?}");
}
