//! Standard MIDI Files: writing one from events at absolute ticks, and pairing note-ons with
//! their note-offs as music21 reads them.

use midly::num::{u15, u28};
use midly::{Format, Header, MetaMessage, Smf, Timing, TrackEvent, TrackEventKind};

/// The latest tick a file can hold here: every delta time then fits MIDI's 28 bits.
pub const MAX_TICK: u64 = (1 << 28) - 1;

/// One track's events at absolute ticks, in the order they are to be written (callers sort;
/// ticks must not decrease). An end-of-track event is appended.
pub type Track<'a> = Vec<(u64, TrackEventKind<'a>)>;

/// Encodes `tracks` as a file of `format` with `ticks_per_quarter` (clamped to 1..=32767).
/// Ticks past [`MAX_TICK`] are written at [`MAX_TICK`]; a caller that must not move a note
/// refuses such input first.
///
/// ```
/// use midly::num::{u4, u7};
/// use midly::{Format, MidiMessage, Smf, TrackEventKind};
/// let note = |on: bool| TrackEventKind::Midi {
///     channel: u4::new(0),
///     message: if on {
///         MidiMessage::NoteOn { key: u7::new(60), vel: u7::new(90) }
///     } else {
///         MidiMessage::NoteOff { key: u7::new(60), vel: u7::new(0) }
///     },
/// };
/// let bytes = emopiano_common::midi::encode(Format::SingleTrack, 480, vec![vec![(0, note(true)), (480, note(false))]]);
/// let smf = Smf::parse(&bytes).unwrap();
/// assert_eq!(smf.tracks[0].len(), 3); // on, off, end of track
/// assert_eq!(smf.tracks[0][1].delta.as_int(), 480);
/// ```
pub fn encode(format: Format, ticks_per_quarter: u16, tracks: Vec<Track<'_>>) -> Vec<u8> {
    let tracks = tracks
        .into_iter()
        .map(|events| {
            let mut now = 0u64;
            let mut track: Vec<TrackEvent<'_>> = events
                .into_iter()
                .map(|(tick, kind)| {
                    let tick = tick.clamp(now, MAX_TICK);
                    let delta = u28::new((tick - now) as u32);
                    now = tick;
                    TrackEvent { delta, kind }
                })
                .collect();
            track.push(TrackEvent {
                delta: u28::new(0),
                kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
            });
            track
        })
        .collect();
    let smf = Smf {
        header: Header::new(
            format,
            Timing::Metrical(u15::new(ticks_per_quarter.clamp(1, 0x7fff))),
        ),
        tracks,
    };
    let mut out = Vec::new();
    // Writing to memory cannot fail, and every value above is in range.
    let _ = smf.write_std(&mut out);
    out
}

/// A note-on or note-off of one track at an absolute tick (a note-on of velocity 0 is a
/// note-off).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoteEvent {
    /// Absolute tick.
    pub tick: u64,
    /// MIDI key, 0–127.
    pub key: u8,
    /// MIDI channel (any numbering, used only to match).
    pub channel: u8,
    /// Whether the key starts sounding.
    pub on: bool,
}

/// Pairs every note-on of a track's events (in file order) with its release the way music21's
/// `midi.translate.getNotesFromEvents` does: the first note-off of the same key and channel after
/// it; several note-ons before one note-off all end there; a note-on that no note-off follows is
/// dropped. Returns `(index of the note-on in events, tick of its note-off)` in file order. Linear
/// in the number of events.
///
/// ```
/// use emopiano_common::midi::{NoteEvent, pair_notes};
/// let ev = |tick, key, on| NoteEvent { tick, key, channel: 0, on };
/// // C4 struck twice and released once, E4 never released.
/// let events = [ev(0, 60, true), ev(10, 60, true), ev(20, 64, true), ev(30, 60, false)];
/// assert_eq!(pair_notes(&events), vec![(0, 30), (1, 30)]);
/// ```
pub fn pair_notes(events: &[NoteEvent]) -> Vec<(usize, u64)> {
    // Walking backwards, each note-on meets the nearest following note-off of its key; the entry
    // is not consumed, which is what makes repeated note-ons share one note-off.
    let mut awaiting: std::collections::HashMap<(u8, u8), u64> = Default::default();
    let mut pairs = Vec::new();
    for (i, e) in events.iter().enumerate().rev() {
        if !e.on {
            awaiting.insert((e.key, e.channel), e.tick);
        } else if let Some(&off) = awaiting.get(&(e.key, e.channel)) {
            pairs.push((i, off));
        }
    }
    pairs.reverse();
    pairs
}

/// The name of MIDI pitch `pitch`, as `C4` (middle C) or `F#3`.
///
/// ```
/// assert_eq!(emopiano_common::midi::note_name(60), "C4");
/// assert_eq!(emopiano_common::midi::note_name(54), "F#3");
/// ```
pub fn note_name(pitch: u8) -> String {
    const NAMES: [&str; 12] = [
        "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
    ];
    format!(
        "{}{}",
        NAMES[usize::from(pitch % 12)],
        i32::from(pitch / 12) - 1
    )
}

/// A note in ticks: the one note type of the crates that count time in ticks (the tokenizers,
/// the MIDI writer's callers, the evaluation's MusPy reading). Ordered by onset, then key, then
/// length, then velocity, as MusPy sorts a track's notes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Note {
    /// Onset, in ticks.
    pub time: u64,
    /// MIDI key, 0–127.
    pub pitch: u8,
    /// Length, in ticks (0 for a note-off at its onset; the MIDI writer writes at least 1).
    pub duration: u64,
    /// Note-on velocity, 1–127.
    pub velocity: u8,
}

impl Note {
    /// The tick after the last one the note sounds.
    pub fn end(&self) -> u64 {
        self.time + self.duration
    }
}
