//! The playing time of a MIDI file.

use midly::{MetaMessage, Smf, Timing, TrackEventKind};

/// Seconds from the start to the last event of any track, following the tempo map (120 BPM
/// until the first tempo event). `None` when the bytes are not a readable MIDI file.
///
/// ```
/// use emopiano_corpus::duration::midi_seconds;
/// use emopiano_tokenizer::{DecodeOptions, TokenizerKind};
/// // Four tokens, 0.5 quarters apart, each one quarter long, at 120 BPM: 2.5 quarters = 1.25 s.
/// let tokens: Vec<String> = ["C4", "D4", "E4", "F4"].map(String::from).to_vec();
/// let midi = TokenizerKind::NotesChords.build(DecodeOptions::default()).decode(&tokens).unwrap();
/// assert!((midi_seconds(&midi).unwrap() - 1.25).abs() < 1e-9);
/// ```
pub fn midi_seconds(bytes: &[u8]) -> Option<f64> {
    let smf = Smf::parse(bytes).ok()?;
    let mut tempos: Vec<(u64, u32)> = Vec::new();
    let mut end = 0u64;
    for track in &smf.tracks {
        let mut now = 0u64;
        for ev in track {
            now += u64::from(ev.delta.as_int());
            if let TrackEventKind::Meta(MetaMessage::Tempo(t)) = ev.kind {
                tempos.push((now, t.as_int()));
            }
        }
        end = end.max(now);
    }
    match smf.header.timing {
        Timing::Timecode(fps, sub) => {
            Some(end as f64 / (f64::from(fps.as_f32()) * f64::from(sub.max(1))))
        }
        Timing::Metrical(tpq) => {
            let tpq = f64::from(tpq.as_int().max(1));
            tempos.sort_by_key(|(t, _)| *t);
            let (mut seconds, mut at, mut tempo) = (0.0, 0u64, 500_000u32);
            for (tick, t) in tempos.into_iter().filter(|(t, _)| *t <= end) {
                seconds += (tick - at) as f64 / tpq * f64::from(tempo) / 1e6;
                (at, tempo) = (tick, t);
            }
            Some(seconds + (end - at) as f64 / tpq * f64::from(tempo) / 1e6)
        }
    }
}
