//! A piece reduced towards what a melody generator writes: its top line (the skyline), its top
//! line with the bass under it, or the whole piece at one velocity. A classifier trained on
//! two-handed piano performances alone hears every melody as one emotion; trained on these
//! reductions of the same pieces as well (each keeping its piece's label), it learns cues that
//! survive in a melody.
//!
//! ```
//! use emopiano_eval::music::{Music, Note, Track};
//! use emopiano_eval::reduce::{Reduction, reduce};
//! let note = |time, pitch| Note { time, pitch, duration: 480, velocity: 70 };
//! // A C major triad, then an F major triad.
//! let chords = [60, 64, 67].map(|p| note(0, p)).into_iter().chain([65, 69, 72].map(|p| note(480, p)));
//! let music = Music {
//!     resolution: 480,
//!     tracks: vec![Track { notes: chords.collect(), ..Track::default() }],
//!     ..Music::default()
//! };
//! let pitches = |m: &Music| m.tracks[0].notes.iter().map(|n| n.pitch).collect::<Vec<_>>();
//! assert_eq!(pitches(&reduce(&music, Reduction::Skyline)), [67, 72]);
//! assert_eq!(pitches(&reduce(&music, Reduction::SkylineBass)), [60, 67, 65, 72]);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::music::{Music, Note, Track};

/// The velocity of [`Reduction::FlatVelocity`]: the paper's decoder writes every note at 90.
pub const FLAT_VELOCITY: u8 = 90;

/// A way of reducing a piece.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reduction {
    /// The piece as it is.
    Full,
    /// The top line: at each onset the highest note that starts there, each note cut where the
    /// next one starts, without the pedal.
    Skyline,
    /// The top line and the bass: also, at each onset where lower notes start under the top
    /// one, the lowest of them, the bass notes cut where the next bass note starts.
    SkylineBass,
    /// Every note at [`FLAT_VELOCITY`], the pedal kept.
    FlatVelocity,
    /// The top line at [`FLAT_VELOCITY`]: what a melody generator writes.
    SkylineFlat,
}

impl Reduction {
    /// Every reduction, the piece itself first.
    pub const ALL: [Reduction; 5] = [
        Reduction::Full,
        Reduction::Skyline,
        Reduction::SkylineBass,
        Reduction::FlatVelocity,
        Reduction::SkylineFlat,
    ];

    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Reduction::Full => "full",
            Reduction::Skyline => "skyline",
            Reduction::SkylineBass => "skyline-bass",
            Reduction::FlatVelocity => "flat-velocity",
            Reduction::SkylineFlat => "skyline-flat",
        }
    }
}

impl fmt::Display for Reduction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Reduction {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reduction::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Reduction::ALL.iter().map(|r| r.name()).collect();
                format!("unknown reduction {s:?} (one of {})", names.join(", "))
            })
    }
}

/// `music` reduced. The lines are one piano track of the pitched notes of every track (drums
/// left out); [`Reduction::FlatVelocity`] keeps the tracks and their pedal. Tempo, time
/// signatures and resolution stay.
pub fn reduce(music: &Music, reduction: Reduction) -> Music {
    let lines = |notes: Vec<Note>| Music {
        tracks: vec![Track {
            notes,
            ..Track::default()
        }],
        ..music.clone()
    };
    match reduction {
        Reduction::Full => music.clone(),
        Reduction::FlatVelocity => {
            let mut flat = music.clone();
            for track in flat.tracks.iter_mut().filter(|t| !t.is_drum) {
                track
                    .notes
                    .iter_mut()
                    .for_each(|n| n.velocity = FLAT_VELOCITY);
            }
            flat
        }
        Reduction::Skyline => lines(monophonic(
            onsets(music).values().filter_map(|c| top(c)).collect(),
        )),
        Reduction::SkylineFlat => {
            reduce(&reduce(music, Reduction::Skyline), Reduction::FlatVelocity)
        }
        Reduction::SkylineBass => {
            let chords = onsets(music);
            let mut notes = monophonic(chords.values().filter_map(|c| top(c)).collect());
            notes.extend(monophonic(
                chords.values().filter_map(|c| bass(c)).collect(),
            ));
            notes.sort();
            lines(notes)
        }
    }
}

/// The melody of a performance: every onset moved to the nearest sixteenth note (so that the
/// notes of a chord a pianist spreads over a few milliseconds start together), then its
/// [`Reduction::Skyline`]. A transcribed performance rarely starts two notes on one tick, so
/// the plain skyline of one keeps nearly every note.
///
/// ```
/// use emopiano_eval::music::{Music, Note, Track};
/// use emopiano_eval::reduce::top_line;
/// let note = |time, pitch| Note { time, pitch, duration: 480, velocity: 70 };
/// // A spread C major chord (bass first, 10 ticks apart), then E5 a beat later.
/// let notes = vec![note(0, 48), note(10, 64), note(20, 67), note(480, 76)];
/// let music = Music { resolution: 480, tracks: vec![Track { notes, ..Track::default() }], ..Music::default() };
/// let line: Vec<(u64, u8)> = top_line(&music).tracks[0].notes.iter().map(|n| (n.time, n.pitch)).collect();
/// assert_eq!(line, [(0, 67), (480, 76)]);
/// ```
pub fn top_line(music: &Music) -> Music {
    let step = (music.resolution / 4).max(1);
    let mut snapped = music.clone();
    for track in &mut snapped.tracks {
        for n in &mut track.notes {
            n.time = (n.time + step / 2) / step * step;
        }
        track.notes.sort();
    }
    reduce(&snapped, Reduction::Skyline)
}

/// `music` played `factor` times slower (2.0: half as many notes per second): every tempo
/// stretched, the notes and their ticks unchanged. A melody generator and the Eerola stimuli
/// play 1–3 notes a second, EMOPIA's clips 4–10; slowed copies of the training clips teach a
/// classifier that a slow piece is not sad for its speed alone.
///
/// ```
/// use emopiano_eval::Music;
/// use emopiano_eval::reduce::slowed;
/// let music = Music::line(&[60, 64, 67], 500_000);
/// let end = |m: &Music| m.seconds_at(m.end_time().unwrap_or(0));
/// assert!((end(&slowed(&music, 2.0)) - 2.0 * end(&music)).abs() < 1e-9);
/// ```
pub fn slowed(music: &Music, factor: f64) -> Music {
    let mut tempos = music.tempos.clone();
    if !tempos.iter().any(|&(t, _)| t == 0) {
        // What a file without a tempo at its start plays at (MIDI's default).
        tempos.insert(0, (0, 500_000));
    }
    for (_, micros) in &mut tempos {
        *micros = (f64::from(*micros) * factor)
            .round()
            .clamp(1.0, f64::from(u32::MAX)) as u32;
    }
    Music {
        tempos,
        ..music.clone()
    }
}

/// The pitched notes of every track, grouped by onset.
fn onsets(music: &Music) -> BTreeMap<u64, Vec<Note>> {
    let mut by_onset: BTreeMap<u64, Vec<Note>> = BTreeMap::new();
    for note in music.pitched_notes() {
        by_onset.entry(note.time).or_default().push(*note);
    }
    by_onset
}

/// The highest note of an onset (the longest of equal ones).
fn top(chord: &[Note]) -> Option<Note> {
    chord.iter().copied().max_by_key(|n| (n.pitch, n.duration))
}

/// The lowest note of an onset when it lies under the top one (the longest of equal ones).
fn bass(chord: &[Note]) -> Option<Note> {
    let low = chord
        .iter()
        .copied()
        .min_by_key(|n| (n.pitch, u64::MAX - n.duration))?;
    (low.pitch < top(chord)?.pitch).then_some(low)
}

/// `line` (one note per onset, in time order) with each note cut where the next one starts.
fn monophonic(mut line: Vec<Note>) -> Vec<Note> {
    for i in 1..line.len() {
        let next = line[i].time;
        let note = &mut line[i - 1];
        note.duration = note.duration.min(next - note.time);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(time: u64, pitch: u8, duration: u64) -> Note {
        Note {
            time,
            pitch,
            duration,
            velocity: 64,
        }
    }

    fn music(tracks: Vec<Track>) -> Music {
        Music {
            resolution: 480,
            tempos: vec![(0, 500_000)],
            tracks,
            ..Music::default()
        }
    }

    fn track(notes: Vec<Note>) -> Track {
        Track {
            notes,
            sustain: vec![(0, true), (960, false)],
            ..Track::default()
        }
    }

    #[test]
    fn the_skyline_follows_the_highest_onset_and_cuts_held_notes() {
        // Right hand: a held E5, then D5 and C5 under it; left hand: C3 held under all.
        let right = track(vec![
            note(0, 76, 960),
            note(480, 74, 240),
            note(720, 72, 480),
        ]);
        let left = track(vec![note(0, 48, 1200), note(720, 43, 480)]);
        let drums = Track {
            is_drum: true,
            notes: vec![note(0, 90, 100), note(100, 91, 100)],
            ..Track::default()
        };
        let piece = music(vec![right, left, drums]);
        let skyline = reduce(&piece, Reduction::Skyline);
        assert_eq!(skyline.tracks.len(), 1);
        assert_eq!(
            skyline.tracks[0].notes,
            [note(0, 76, 480), note(480, 74, 240), note(720, 72, 480)]
        );
        assert!(skyline.tracks[0].sustain.is_empty());
        assert_eq!(skyline.tempos, piece.tempos);
        let with_bass = reduce(&piece, Reduction::SkylineBass);
        // C3 is cut where G2 starts; D5 starts alone, so it has no bass.
        assert_eq!(
            with_bass.tracks[0].notes,
            [
                note(0, 48, 720),
                note(0, 76, 480),
                note(480, 74, 240),
                note(720, 43, 480),
                note(720, 72, 480)
            ]
        );
    }

    #[test]
    fn flat_velocity_keeps_every_note_and_the_pedal() {
        let piece = music(vec![track(vec![
            Note {
                velocity: 30,
                ..note(0, 60, 480)
            },
            Note {
                velocity: 120,
                ..note(0, 64, 480)
            },
        ])]);
        let flat = reduce(&piece, Reduction::FlatVelocity);
        assert_eq!(flat.tracks[0].sustain, piece.tracks[0].sustain);
        let notes: Vec<(u64, u8, u64, u8)> = flat.tracks[0]
            .notes
            .iter()
            .map(|n| (n.time, n.pitch, n.duration, n.velocity))
            .collect();
        assert_eq!(notes, [(0, 60, 480, 90), (0, 64, 480, 90)]);
        assert_eq!(reduce(&piece, Reduction::Full), piece);
        // The top line alone, at the flat velocity, without the pedal.
        let melody = reduce(&piece, Reduction::SkylineFlat);
        assert!(melody.tracks[0].sustain.is_empty());
        let n = &melody.tracks[0].notes;
        assert_eq!(
            n.iter().map(|n| (n.pitch, n.velocity)).collect::<Vec<_>>(),
            [(64, 90)]
        );
    }

    #[test]
    fn names_round_trip() {
        for r in Reduction::ALL {
            assert_eq!(r.name().parse::<Reduction>(), Ok(r));
            let json = serde_json::to_string(&r).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", r.name()));
        }
        assert!("melody".parse::<Reduction>().is_err());
    }
}
