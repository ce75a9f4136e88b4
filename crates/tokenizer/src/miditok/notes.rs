//! A MIDI file as MidiTok 3.1.0 sees it before making tokens: symusic 0.6.0's import, drum
//! tracks dropped, the other tracks merged (`miditok.utils.merge_tracks`), then
//! `MusicTokenizer.preprocess_score`: resampled to [`TICKS_PER_QUARTER`], pitches outside
//! [`PITCH_RANGE`] deleted, velocities and durations moved to the nearest value of the vocabulary.

use std::collections::{HashMap, VecDeque};

use emopiano_common::midi::Note;
use midly::{MidiMessage, Timing, TrackEventKind};

use super::time::{closest, duration_ticks, velocities};
use crate::TokenizerError;

/// Ticks per quarter note of every tokenized (and decoded) score: miditok's
/// `max_num_pos_per_beat`, the largest beat resolution (8 positions per beat).
pub const TICKS_PER_QUARTER: u32 = 8;

/// Pitches kept, both ends included (miditok's default `pitch_range=(21, 109)`).
pub const PITCH_RANGE: (u8, u8) = (21, 109);

/// The most tokens one file may give; a file past it (a few notes hours apart give millions of
/// `Bar` or `TimeShift` tokens) is refused within a second instead of filling memory.
pub(crate) const MAX_TOKENS: u64 = 2_000_000;

/// The notes of a file, preprocessed as miditok does, in the order its tokens list them: by onset,
/// and at one onset by the original (onset, duration, pitch, velocity).
pub(crate) fn piano_notes(midi: &[u8]) -> Result<Vec<Note>, TokenizerError> {
    let smf = crate::music21::parse_smf(midi)?;
    let tpq = match smf.header.timing {
        Timing::Metrical(t) => u64::from(t.as_int()),
        Timing::Timecode(..) => {
            return Err(TokenizerError::Unsupported(
                "SMPTE time division: REMI and TSD need beats to place positions on".into(),
            ));
        }
    };
    if tpq == 0 {
        return Err(TokenizerError::Midi(
            "header declares 0 ticks per quarter note".into(),
        ));
    }
    let mut notes = Vec::new();
    for track in &smf.tracks {
        read_track(track, &mut notes);
    }
    // merge_tracks: `notes.sort()`, symusic's order (time, duration, pitch, velocity).
    notes.sort_unstable_by_key(|n: &Note| (n.time, n.duration, n.pitch, n.velocity));
    let last = notes.last().map_or(0, |n| n.time);
    // Every bar (REMI) or 12 beats (TSD's longest time shift) until the last onset is a token.
    let time_tokens = last.saturating_mul(TICKS_PER_QUARTER as u64) / tpq / 32;
    if time_tokens.saturating_add(notes.len() as u64 * 4) > MAX_TOKENS {
        return Err(TokenizerError::Unsupported(format!(
            "the piece would give more than {MAX_TOKENS} REMI/TSD tokens ({} notes, the last \
             starting {} quarter notes in)",
            notes.len(),
            last / tpq
        )));
    }
    let velocity_bins = velocities();
    let duration_bins: Vec<u64> = duration_ticks().collect();
    // symusic's `resample(tpq, min_dur=1)`: onset and length each rounded half away from zero;
    // at 8 ticks already miditok copies instead, and the duration step below lifts 0 to 1.
    let scale = TICKS_PER_QUARTER as f64 / tpq as f64;
    let resample = |t: u64| {
        if tpq == u64::from(TICKS_PER_QUARTER) {
            t
        } else {
            (scale * t as f64).round() as u64
        }
    };
    let mut out: Vec<Note> = notes
        .into_iter()
        .filter(|n| (PITCH_RANGE.0..=PITCH_RANGE.1).contains(&n.pitch))
        .map(|n| Note {
            time: resample(n.time),
            duration: closest(&duration_bins, resample(n.duration).max(1)),
            pitch: n.pitch,
            velocity: closest(&velocity_bins, u64::from(n.velocity)) as u8,
        })
        .collect();
    // Events are sorted by time only (a stable sort), so at one resampled onset the merged
    // order stays.
    out.sort_by_key(|n| n.time);
    Ok(out)
}

/// symusic's note pairing within one MIDI track: per (channel, key) the earliest open note-on
/// ends at the next note-off (or note-on of velocity 0); notes never released are dropped, as
/// are those on channel 10 (drum tracks, which the piano stream leaves out).
fn read_track(events: &[midly::TrackEvent<'_>], out: &mut Vec<Note>) {
    let mut pending: Vec<Option<Note>> = Vec::new();
    let mut open: HashMap<(u8, u8), VecDeque<usize>> = HashMap::new();
    let mut now: u64 = 0;
    for ev in events {
        now += u64::from(ev.delta.as_int());
        let TrackEventKind::Midi { channel, message } = ev.kind else {
            continue;
        };
        let (key, velocity) = match message {
            MidiMessage::NoteOn { key, vel } => (key.as_int(), vel.as_int()),
            MidiMessage::NoteOff { key, .. } => (key.as_int(), 0),
            _ => continue,
        };
        let slot = (channel.as_int(), key);
        if velocity > 0 {
            open.entry(slot).or_default().push_back(pending.len());
            pending.push(Some(Note {
                time: now,
                duration: u64::MAX,
                pitch: key,
                velocity,
            }));
        } else if let Some(i) = open.get_mut(&slot).and_then(VecDeque::pop_front)
            && let Some(note) = pending[i].as_mut()
        {
            note.duration = now - note.time;
            if channel.as_int() == 9 {
                pending[i] = None;
            }
        }
    }
    out.extend(
        pending
            .into_iter()
            .flatten()
            .filter(|n| n.duration != u64::MAX),
    );
}
