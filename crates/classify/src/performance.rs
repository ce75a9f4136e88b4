//! Performance events, after EMOPIA's "MIDI-like" input (Magenta's performance encoding, which
//! its best classifier reads): note-ons and note-offs of each key, time shifts of 10 ms to 1 s,
//! and 32 velocity levels, with the sustain pedal applied to the notes. Unlike REMI it keeps the
//! performance's own timing (EMOPIA's transcriptions have no beat grid) and the pedal.
//!
//! Ids (0 is padding): note-on of key `k` is `1 + k`, note-off `129 + k`, a shift of `s` × 10 ms
//! (1..=100) is `256 + s`, velocity level `v` (velocity / 4, 0..=31) is `357 + v`.
//!
//! Where this differs from EMOPIA's `processor.py`: the pedal is the MIDI standard's (a key
//! released while the pedal is down sounds until the pedal is released, or until the key is
//! struck again), where EMOPIA's drops the notes after a file's last pedal release; and a silence
//! longer than [`MAX_GAP`] is written as [`MAX_GAP`], so that a hostile file cannot ask for
//! millions of shifts.

use emopiano_eval::Music;
use emopiano_eval::music::Note;

/// Note-on of key 0.
const NOTE_ON: u32 = 1;
/// Note-off of key 0.
const NOTE_OFF: u32 = 129;
/// A shift of 10 ms.
const SHIFT: u32 = 257;
/// Velocity level 0.
const VELOCITY: u32 = 357;
/// The number of ids, padding included.
pub const VOCAB_SIZE: usize = 389;
/// The longest silence written, in 10 ms steps.
pub const MAX_GAP: u64 = 1000;

/// The pitched notes of `music` in seconds, each released key held while the pedal of its track
/// is down: `(onset, offset, key, velocity)`.
fn pedalled(music: &Music) -> Vec<(f64, f64, u8, u8)> {
    let tempo = music.tempo_map();
    let mut out = Vec::new();
    for track in music.tracks.iter().filter(|t| !t.is_drum) {
        // Pedal-down spans [down, up) in ticks; one never released holds its notes to the
        // track's last note-off.
        let last = track.notes.iter().map(Note::end).max().unwrap_or(0);
        let mut spans: Vec<(u64, u64)> = Vec::new();
        let mut down: Option<u64> = None;
        let mut sustain = track.sustain.clone();
        sustain.sort_by_key(|&(t, _)| t);
        for (t, is_down) in sustain {
            match (is_down, down) {
                (true, None) => down = Some(t),
                (false, Some(d)) => {
                    spans.push((d, t));
                    down = None;
                }
                _ => {}
            }
        }
        if let Some(d) = down {
            spans.push((d, last.max(d)));
        }
        for n in &track.notes {
            let release = n.end();
            let i_span = spans.partition_point(|&(_, up)| up <= release);
            let end = match spans.get(i_span) {
                Some(&(d, up)) if d <= release => up,
                _ => release,
            };
            out.push((
                tempo.seconds(n.time),
                tempo.seconds(end),
                n.pitch,
                n.velocity,
            ));
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)));
    out
}

/// The performance events of `music`.
pub fn encode(music: &Music) -> Vec<u32> {
    let mut notes: Vec<(u64, u64, u8, u8)> = pedalled(music)
        .into_iter()
        .map(|(on, off, key, velocity)| (steps(on), steps(off), key, velocity))
        .collect();
    // A key sounds once at a time: a note stops where its key is struck again (the pedal's
    // hold included), and a second strike in the same 10 ms is dropped.
    notes.sort_by_key(|&(on, off, key, _)| (key, on, off));
    notes.dedup_by_key(|n| (n.2, n.0));
    for i in 1..notes.len() {
        if notes[i].2 == notes[i - 1].2 {
            notes[i - 1].1 = notes[i - 1].1.min(notes[i].0);
        }
    }
    // (time in 10 ms steps, rank, key, velocity); at one time the note-offs of earlier notes
    // come first, then the note-ons, then the note-offs of notes that start there.
    let mut events: Vec<(u64, u8, u8, u8)> = Vec::with_capacity(2 * notes.len());
    for (on, off, key, velocity) in notes {
        events.push((on, 1, key, velocity));
        let off = off.max(on);
        events.push((off, if off > on { 0 } else { 2 }, key, velocity));
    }
    events.sort_by_key(|&(t, rank, key, _)| (t, rank, key));
    let mut ids = Vec::with_capacity(events.len() * 2);
    let (mut now, mut level) = (events.first().map_or(0, |e| e.0), None);
    for (t, rank, key, velocity) in events {
        let mut gap = (t - now).min(MAX_GAP);
        now = t;
        while gap > 0 {
            let s = gap.min(100);
            ids.push(SHIFT - 1 + s as u32);
            gap -= s;
        }
        if rank == 1 {
            let v = u32::from(velocity / 4);
            if level != Some(v) {
                ids.push(VELOCITY + v);
                level = Some(v);
            }
            ids.push(NOTE_ON + u32::from(key));
        } else {
            ids.push(NOTE_OFF + u32::from(key));
        }
    }
    ids
}

/// Seconds in 10 ms steps (negative and non-finite times at 0, the longest ones capped).
fn steps(seconds: f64) -> u64 {
    let s = (seconds * 100.0).round();
    if s.is_finite() && s > 0.0 {
        s.min(1e15) as u64
    } else {
        0
    }
}

/// The key of a note-on or note-off id.
pub fn pitch_of(id: u32) -> Option<u8> {
    match id {
        NOTE_ON..NOTE_OFF => Some((id - NOTE_ON) as u8),
        NOTE_OFF..SHIFT => Some((id - NOTE_OFF) as u8),
        _ => None,
    }
}

/// The notes of a window of events, times in 10 ms steps (velocity: the level's middle, level ×
/// 4 + 2): each note-on meets the next note-off of its key (a window starts and ends anywhere, so
/// unmatched events are dropped).
pub fn decode(window: &[u32]) -> Vec<Note> {
    let mut open: [Option<(u64, u8)>; 128] = [None; 128];
    let (mut now, mut velocity) = (0u64, 64u8);
    let mut notes = Vec::new();
    for &id in window {
        match id {
            NOTE_ON..NOTE_OFF => open[(id - NOTE_ON) as usize] = Some((now, velocity)),
            NOTE_OFF..SHIFT => {
                let key = (id - NOTE_OFF) as usize;
                if let Some((time, velocity)) = open[key].take() {
                    notes.push(Note {
                        time,
                        duration: now - time,
                        pitch: key as u8,
                        velocity,
                    });
                }
            }
            SHIFT..VELOCITY => now += u64::from(id - SHIFT + 1),
            VELOCITY.. if (id as usize) < VOCAB_SIZE => velocity = ((id - VELOCITY) * 4 + 2) as u8,
            _ => {}
        }
    }
    notes.sort_by_key(|n| (n.time, n.pitch));
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Encoding, transpose};
    use emopiano_eval::music::Track;

    fn music(notes: Vec<Note>, sustain: Vec<(u64, bool)>) -> Music {
        // 480 ticks per quarter at 120 bpm: 960 ticks a second.
        Music {
            resolution: 480,
            tracks: vec![Track {
                notes,
                sustain,
                ..Track::default()
            }],
            ..Music::default()
        }
    }

    fn note(time: u64, duration: u64, pitch: u8) -> Note {
        Note {
            time,
            pitch,
            duration,
            velocity: 81,
        }
    }

    #[test]
    fn events_round_trip_and_the_pedal_holds_released_keys() {
        // C4 for half a second, then E4 struck under the pedal for 0.25 s; the pedal is released
        // at 2 s, and E4 is struck again at 1.5 s.
        let m = music(
            vec![note(0, 480, 60), note(960, 240, 64), note(1440, 96, 64)],
            vec![(900, true), (1920, false)],
        );
        let ids = encode(&m);
        // velocity 81 → level 20.
        assert_eq!(&ids[..3], &[VELOCITY + 20, NOTE_ON + 60, SHIFT + 49]);
        let notes = decode(&ids);
        let spans: Vec<(u64, u64, u8)> = notes
            .iter()
            .map(|n| (n.time, n.duration, n.pitch))
            .collect();
        // E4 held by the pedal until struck again at 1.5 s; the second E4 until the release at 2 s.
        assert_eq!(spans, [(0, 50, 60), (100, 50, 64), (150, 50, 64)]);
        // A note shorter than 10 ms keeps its note-on before its note-off; a key struck twice
        // at once sounds once.
        let m = music(
            vec![note(0, 2, 60), note(0, 96, 62), note(0, 48, 62)],
            vec![],
        );
        let spans: Vec<(u64, u64, u8)> = decode(&encode(&m))
            .iter()
            .map(|n| (n.time, n.duration, n.pitch))
            .collect();
        assert_eq!(spans, [(0, 0, 60), (0, 5, 62)]);
        // A pedal never released holds its notes to the last note-off.
        let m = music(vec![note(0, 96, 60), note(480, 480, 64)], vec![(0, true)]);
        let spans: Vec<(u64, u64, u8)> = decode(&encode(&m))
            .iter()
            .map(|n| (n.time, n.duration, n.pitch))
            .collect();
        assert_eq!(spans, [(0, 100, 60), (50, 50, 64)]);
        assert!(notes.iter().all(|n| n.velocity == 82));
        assert!(ids.iter().all(|&id| (id as usize) < VOCAB_SIZE && id > 0));
        // Transposition moves both ends of a note, and nothing else.
        let up = transpose(&ids, 2, Encoding::Performance);
        let moved: Vec<u8> = decode(&up).iter().map(|n| n.pitch).collect();
        assert_eq!(moved, [62, 66, 66]);
        assert_eq!(
            decode(&up).iter().map(|n| n.time).collect::<Vec<_>>(),
            [0, 100, 150]
        );
        // No further than key 127.
        let top = transpose(&ids, 100, Encoding::Performance);
        assert_eq!(decode(&top).iter().map(|n| n.pitch).max(), Some(127));
    }

    #[test]
    fn a_long_silence_is_capped() {
        let m = music(vec![note(0, 10, 60), note(960 * 3600, 10, 62)], vec![]);
        let ids = encode(&m);
        let shifts: u64 = ids
            .iter()
            .filter(|&&id| (SHIFT..VELOCITY).contains(&id))
            .map(|&id| u64::from(id - SHIFT + 1))
            .sum();
        assert_eq!(shifts, 2 + MAX_GAP);
        assert!(ids.len() < 20, "{ids:?}");
    }
}
