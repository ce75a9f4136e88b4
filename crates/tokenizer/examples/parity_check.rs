//! Compares tokens against a JSON map {path: [tokens]} produced by music21 (development aid).
use emopiano_tokenizer::{DecodeOptions, TokenizerKind};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let golden: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&args[1]).expect("read")).expect("json");
    let tok = TokenizerKind::NotesChords.build(DecodeOptions::default());
    let (mut ok, mut bad) = (0, 0);
    let t0 = std::time::Instant::now();
    for (path, want) in &golden {
        let got = tok.encode_file(std::path::Path::new(path));
        let want: Option<Vec<String>> = serde_json::from_value(want.clone()).ok();
        match (got, want) {
            (Ok(g), Some(w)) if g == w => ok += 1,
            (g, w) => {
                bad += 1;
                if bad <= 5 {
                    let g = g.map_err(|e| e.to_string());
                    let first = match (&g, &w) {
                        (Ok(g), Some(w)) => g.iter().zip(w).position(|(a, b)| a != b).unwrap_or(g.len().min(w.len())),
                        _ => 0,
                    };
                    println!("MISMATCH {path}: first diff at {first}; got len {:?} want len {:?}", g.as_ref().map(|v| v.len()), w.as_ref().map(|v| v.len()));
                    if let (Ok(g), Some(w)) = (&g, &w) {
                        let lo = first.saturating_sub(3);
                        println!("  got  {:?}\n  want {:?}", &g[lo..(first + 5).min(g.len())], &w[lo..(first + 5).min(w.len())]);
                    } else {
                        println!("  got {:?} want {:?}", g.err(), w.is_some());
                    }
                }
            }
        }
    }
    println!("ok {ok} bad {bad} in {:?}", t0.elapsed());
}
