//! music21's MIDI import (`midi.translate.midiTracksToStreams` and the stream methods it calls),
//! reduced to what decides the paper's token list: which notes and chords exist, how long they are
//! after quantization (a note across a barline is split and yields two tokens), and the order in
//! which `partitionByInstrument(score).parts[0].recurse()` visits them.

use super::events::{self, Meta, MidiFile, TimedNote, Track};
use super::instrument_names::{CLASSES, NAMES};
use super::numbers::{Q, best_match};
use super::programs::{PERCUSSION, PROGRAMS};
use crate::error::TokenizerError;

/// music21's `defaults.quantizationQuarterLengthDivisors`.
const DIVISORS: [u32; 2] = [4, 3];

/// A bound on measures per part, so that a corrupt delta time (hours of silence) is an error
/// instead of an allocation of millions of empty measures. 100,000 bars of 4/4 last 55 hours at
/// 120 BPM.
const MAX_MEASURES: usize = 100_000;

/// A bound on notes and chords per part after they are cut at barlines, so that thousands of
/// notes held for hours (a damaged file) are an error within a second instead of tens of millions
/// of tokens. The longest EMOPIA clip gives about 1,000; all 1,078 together 267,000.
const MAX_PIECES: usize = 2_000_000;

/// A note or chord as music21 imports it, with what the token needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Sounding {
    /// `note.Note` with its MIDI key.
    Note(u8),
    /// `chord.Chord` with the MIDI keys of its notes.
    Chord(Vec<u8>),
    /// `note.Unpitched` or `percussion.PercussionChord` (channel 10): never a token.
    Percussion,
}

#[derive(Clone, Debug)]
struct Instrument {
    class: &'static str,
    /// `instrumentName`; `None` for a generic `Instrument`.
    name: Option<String>,
    part_name: Option<String>,
}

#[derive(Clone, Debug)]
enum Kind {
    Sounding(Sounding),
    Instrument(Instrument),
    /// Bar length in quarters.
    TimeSignature(Q),
    Other,
}

impl Kind {
    /// `classSortOrder` of the music21 class.
    fn class_sort_order(&self) -> i32 {
        match self {
            Kind::Sounding(_) => 20,
            Kind::Instrument(_) => -25,
            Kind::TimeSignature(_) => 4,
            Kind::Other => 1,
        }
    }
}

#[derive(Clone, Debug)]
struct Element {
    offset: Q,
    duration: Q,
    kind: Kind,
    grace: bool,
    /// Insertion counter, music21's `globalSiteIndex`: the last key of the sort order.
    index: u64,
}

impl Element {
    fn sort_key(&self) -> (Q, i32, bool, u64) {
        (
            self.offset,
            self.kind.class_sort_order(),
            !self.grace,
            self.index,
        )
    }
    fn end(&self) -> Q {
        self.offset.add(self.duration)
    }
}

/// Hands out music21-style insertion indices.
#[derive(Default)]
struct Counter(u64);
impl Counter {
    fn next(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
}

/// Notes and chords of one imported part in flattened order, with their absolute offsets.
#[derive(Clone, Debug)]
struct FlatPart {
    /// (offset, grace, sounding); sorted.
    soundings: Vec<(Q, bool, Sounding)>,
    /// Instruments in order with their offsets.
    instruments: Vec<(Q, Instrument)>,
}

/// The notes and chords, in order, that the paper's extraction loop visits.
pub(crate) fn paper_elements(bytes: &[u8]) -> Result<Vec<Sounding>, TokenizerError> {
    let file = events::read(bytes)?;
    let parts = import_parts(&file)?;
    Ok(partition_first_part(parts))
}

/// Whether any track holds a pitched note (one music21 would import as a note or chord).
pub(crate) fn has_pitched_notes(bytes: &[u8]) -> bool {
    events::read(bytes).is_ok_and(|file| {
        file.tracks
            .iter()
            .any(|t| t.notes.iter().any(|n| n.channel != 10))
    })
}

/// `midiTracksToStreams`: one part per track with notes; tracks without notes feed the conductor.
fn import_parts(file: &MidiFile) -> Result<Vec<FlatPart>, TokenizerError> {
    let tpq = file.ticks_per_quarter;
    let mut counter = Counter::default();
    let mut conductor: Vec<Element> = Vec::new();
    let mut parts = Vec::new();
    for track in &file.tracks {
        if track.has_notes {
            let (elements, voices_required) = import_track(track, tpq, &mut counter, Vec::new());
            parts.push(layout_part(
                elements,
                voices_required,
                &conductor,
                &mut counter,
            )?);
        } else {
            // The conductor part accumulates; music21 re-sorts and re-quantizes all of it.
            let previous = std::mem::take(&mut conductor);
            conductor = import_track(track, tpq, &mut counter, previous).0;
        }
    }
    Ok(parts)
}

/// `midiTrackToStream` up to and including quantization. Returns the sorted, quantized elements
/// and whether some simultaneous notes ended at different times (music21's `voicesRequired`).
fn import_track(
    track: &Track,
    tpq: u32,
    counter: &mut Counter,
    mut elements: Vec<Element>,
) -> (Vec<Element>, bool) {
    let tpq_i = i64::from(tpq);
    let at = |tick: u64| Q::new(tick as i64, tpq_i);
    for (tick, meta) in &track.metas {
        let kind = match meta {
            Meta::TimeSignature {
                numerator,
                denominator_pow,
            } => {
                let den = 1i64
                    .checked_shl(u32::from(*denominator_pow))
                    .unwrap_or(i64::MAX);
                Kind::TimeSignature(Q::new(i64::from(*numerator) * 4, den.max(1)))
            }
            Meta::KeySignature | Meta::Tempo => Kind::Other,
            Meta::Program { program, channel } => {
                Kind::Instrument(program_instrument(*program, *channel))
            }
            Meta::Name { name, track } => {
                Kind::Instrument(named_instrument(name.as_deref(), *track))
            }
        };
        elements.push(Element {
            offset: at(*tick),
            duration: Q::ZERO,
            kind,
            grace: false,
            index: counter.next(),
        });
    }
    deduplicate_instruments(&mut elements);

    let (soundings, voices_required) = group_chords(&track.notes, tpq);
    for (on, on_last, off_last, sounding) in soundings {
        let duration = Q::new(off_last as i64 - on_last as i64, tpq_i);
        elements.push(Element {
            offset: at(on),
            duration,
            kind: Kind::Sounding(sounding),
            grace: duration.is_zero(),
            index: counter.next(),
        });
    }
    elements.sort_by_key(Element::sort_key);
    quantize(&mut elements);
    (elements, voices_required)
}

fn program_instrument(program: u8, channel: u8) -> Instrument {
    let (class, name) = if channel == 10 {
        PERCUSSION
    } else {
        PROGRAMS[usize::from(program & 0x7f)]
    };
    Instrument {
        class,
        name: Some(name.to_string()),
        part_name: None,
    }
}

/// `midiEventToInstrument` for a track name (`track`) or an instrument name: the class
/// [`from_string`] finds (else a generic `Instrument`), the name as `instrumentName` when a class
/// was found or it is an instrument name, and as `partName` when it is a track name — except
/// music21's "lousy" names ("Instrument 3", "inst"), which set neither. A name that is not UTF-8
/// gives a generic instrument with no names.
fn named_instrument(name: Option<&str>, track: bool) -> Instrument {
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return Instrument {
            class: "Instrument",
            name: None,
            part_name: None,
        };
    };
    let class = from_string(name);
    let lower = name.to_lowercase();
    let lousy = lower == "instrument"
        || lower == "inst"
        || is_digits(&lower.replace("instrument ", ""))
        || is_digits(&lower.replace("inst ", ""));
    // `fromString` names what it finds after the whole string.
    let mut instrument = Instrument {
        class: class.unwrap_or("Instrument"),
        name: class.map(|_| name.to_string()),
        part_name: None,
    };
    if !lousy {
        if track {
            instrument.part_name = Some(name.to_string());
        } else {
            instrument.name = Some(name.to_string());
        }
    }
    instrument
}

/// `instrument.fromString`: among every run of consecutive words of the name (lower-cased, dots
/// as spaces, ASCII punctuation removed), shortest runs first, the one music21's table names;
/// a later match replaces an earlier one when its class's `bestName()` has at least as many
/// words and the earlier instrument is not already of its class.
pub(crate) fn from_string(name: &str) -> Option<&'static str> {
    let cleaned: String = name
        .replace('.', " ")
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_ascii_punctuation())
        .collect();
    // Python's `str.split()` also splits at the ASCII separators 0x1C–0x1F.
    let words: Vec<&str> = cleaned
        .split(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
        .filter(|w| !w.is_empty())
        .collect();
    let mut best: Option<(&'static str, usize)> = None;
    for size in 1..=words.len() {
        for start in 0..=words.len() - size {
            let run = words[start..start + size].join(" ");
            let Ok(k) = NAMES.binary_search_by(|(n, _)| (*n).cmp(run.as_str())) else {
                continue;
            };
            let class = NAMES[k].1;
            let Ok(c) = CLASSES.binary_search_by(|(n, _, _)| (*n).cmp(class)) else {
                continue;
            };
            let words_of = CLASSES[c].1;
            let replaces = match best {
                None => true,
                Some((held, held_words)) => {
                    let held_is_a = CLASSES
                        .binary_search_by(|(n, _, _)| (*n).cmp(held))
                        .is_ok_and(|h| CLASSES[h].2.contains(&class));
                    words_of >= held_words && !held_is_a
                }
            };
            if replaces {
                best = Some((class, words_of));
            }
        }
    }
    best.map(|(class, _)| class)
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

/// `instrument.deduplicate` as music21 10.5 runs it. It means to merge the instruments that share
/// an offset, but it builds its `OffsetTree` from the part's instrument stream as a single
/// element, so all of a part's instruments form one group, whatever their offsets: with at most
/// one part name and one instrument name among them, they are merged (same class: keep the first;
/// mixed: drop the generic ones), and the survivors carry both names. A track named "Solo-Left"
/// at tick 0 with a piano program change at tick 768 thus becomes one Piano named "Piano" at
/// 768, part name "Solo-Left" — and its notes before 768 belong to no instrument.
fn deduplicate_instruments(elements: &mut Vec<Element>) {
    let mut group: Vec<usize> = (0..elements.len())
        .filter(|&i| matches!(elements[i].kind, Kind::Instrument(_)))
        .collect();
    if group.len() < 2 {
        return;
    }
    // The stream's order: offset, then insertion (instruments share priority and class order).
    group.sort_by_key(|&i| (elements[i].offset, elements[i].index));
    let insts: Vec<&Instrument> = group
        .iter()
        .filter_map(|&i| match &elements[i].kind {
            Kind::Instrument(inst) => Some(inst),
            _ => None,
        })
        .collect();
    let distinct = |field: fn(&Instrument) -> Option<&String>| {
        let mut v: Vec<String> = insts.iter().filter_map(|i| field(i).cloned()).collect();
        v.sort();
        v.dedup();
        v
    };
    let part_names = distinct(|i| i.part_name.as_ref());
    let names = distinct(|i| i.name.as_ref());
    if part_names.len() > 1 || names.len() > 1 {
        return;
    }
    let same_class = insts.iter().all(|i| i.class == insts[0].class);
    let mut remove = Vec::new();
    for (k, &i) in group.iter().enumerate() {
        let Kind::Instrument(inst) = &mut elements[i].kind else {
            continue;
        };
        let drop = if same_class {
            k > 0
        } else {
            inst.class == "Instrument"
        };
        if drop {
            remove.push(i);
        } else {
            inst.name = names.first().cloned();
            inst.part_name = part_names.first().cloned();
        }
    }
    remove.sort_unstable();
    for i in remove.into_iter().rev() {
        elements.remove(i);
    }
}

/// The chord-gathering loop of `midiTrackToStream`: notes whose onsets lie within a sixteenth
/// (strictly) of a group's first note and whose releases lie within it too become one chord.
/// Returns (first onset, onset of the last member, release of the last member, sounding) — music21
/// takes a chord's duration from its last member — and `voicesRequired`.
fn group_chords(notes: &[TimedNote], tpq: u32) -> (Vec<(u64, u64, u64, Sounding)>, bool) {
    let tolerance = f64::from(tpq) / f64::from(DIVISORS[0].max(DIVISORS[1]));
    let mut gathered = vec![false; notes.len()];
    let mut voices_required = false;
    let mut out = Vec::new();
    for i in 0..notes.len() {
        if gathered[i] {
            continue;
        }
        let first = notes[i];
        let mut group = vec![first];
        for j in i + 1..notes.len() {
            let n = notes[j];
            if (n.on as f64 - first.on as f64).abs() >= tolerance {
                break;
            }
            if (n.off as f64 - first.off as f64).abs() > tolerance {
                voices_required = true;
                continue;
            }
            group.push(n);
            gathered[j] = true;
        }
        let last = group[group.len() - 1];
        let sounding = if group.len() == 1 {
            if first.channel == 10 {
                Sounding::Percussion
            } else {
                Sounding::Note(first.key)
            }
        } else if group.iter().any(|n| n.channel == 10) {
            Sounding::Percussion
        } else {
            Sounding::Chord(group.iter().map(|n| n.key).collect())
        };
        out.push((first.on, last.on, last.off, sounding));
    }
    (out, voices_required)
}

/// `Stream.quantize(processOffsets=True, processDurations=True)` on a sorted stream, including the
/// v7 look-ahead that stretches a duration to fill the gap to the next onset.
fn quantize(elements: &mut [Element]) {
    // Each element's quantized onset depends only on its raw onset, so compute them once; the
    // look-ahead is then "the first later element whose quantized onset is greater", a
    // next-greater-element query answered for all elements by one backwards pass with a stack.
    let quantized: Vec<f64> = elements
        .iter()
        .map(|e| best_match(e.offset.to_f64(), &DIVISORS, true, 0.0).value)
        .collect();
    let mut next_greater: Vec<Option<usize>> = vec![None; elements.len()];
    let mut stack: Vec<usize> = Vec::new();
    for i in (0..elements.len()).rev() {
        while stack.last().is_some_and(|&j| quantized[j] <= quantized[i]) {
            stack.pop();
        }
        next_greater[i] = stack.last().copied();
        stack.push(i);
    }
    for (i, e) in elements.iter_mut().enumerate() {
        e.offset = Q::from_f64(quantized[i]);
        let ql = e.duration.to_f64().max(0.0);
        let zero_allowed = !matches!(e.kind, Kind::Sounding(_)) || e.grace;
        let gap = match next_greater[i] {
            Some(j) => Q::from_f64(quantized[j] - e.offset.to_f64()).to_f64(),
            None => 0.0,
        };
        e.duration = Q::from_f64(best_match(ql, &DIVISORS, zero_allowed, gap).value);
    }
}

/// A note, chord or voice inside a measure.
#[derive(Clone, Copy, Debug)]
enum Slot {
    /// Index into the part's element arena, offset within the measure, insertion index.
    Note(usize, Q, u64),
    /// Index into the measure's voices, insertion index (voices sit at offset 0).
    Voice(usize, u64),
}

#[derive(Clone, Debug, Default)]
struct Measure {
    start: Q,
    bar: Q,
    slots: Vec<Slot>,
    /// Each voice: (element, offset in measure, insertion index).
    voices: Vec<Vec<(usize, Q, u64)>>,
    /// Each voice's cached `highestTime`, as music21 holds it. music21 clears a stream's cache
    /// when an element is inserted or a note's duration changes, but not when a chord's
    /// duration changes (`Chord.duration`'s setter does not inform its sites), so a voice
    /// whose chord `makeTies` cuts at the barline may keep the chord's old end; `makeRests`
    /// then stacks the measures by that end.
    voice_cache: Vec<Option<Q>>,
    /// Whether each voice is sorted. An unsorted voice is sorted when `makeTies` iterates it,
    /// and sorting clears its cache.
    voice_sorted: Vec<bool>,
    /// Whether a clef, key, tempo or instrument lies inside the measure after its start:
    /// then the measure is no longer sorted once `makeVoices` inserts its first voice.
    late_meta: bool,
}

impl Measure {
    fn has_voices(&self) -> bool {
        self.slots.iter().any(|s| matches!(s, Slot::Voice(..)))
    }

    /// A new voice, its cache empty.
    fn push_voice(&mut self, notes: Vec<(usize, Q, u64)>, sorted: bool, index: u64) {
        self.voices.push(notes);
        self.voice_cache.push(None);
        self.voice_sorted.push(sorted);
        self.slots.push(Slot::Voice(self.voices.len() - 1, index));
    }

    /// `voice.insert(0, note)`: an insert at 0 into a sorted voice that already ends later
    /// leaves it unsorted (and clears its cache).
    fn insert_at_start(&mut self, v: usize, id: usize, index: u64, arena: &[Element]) {
        if self.voice_sorted[v] && self.voice_highest(v, arena).is_positive() {
            self.voice_sorted[v] = false;
        }
        self.voices[v].push((id, Q::ZERO, index));
        self.voice_cache[v] = None;
    }

    /// Iterating a voice sorts it if it is unsorted, and sorting clears its cache.
    fn sort_voices(&mut self) {
        for v in 0..self.voices.len() {
            if !self.voice_sorted[v] {
                self.voice_sorted[v] = true;
                self.voice_cache[v] = None;
            }
        }
    }

    /// The voice's `highestTime` from its notes as they are now.
    fn voice_end(&self, v: usize, arena: &[Element]) -> Q {
        self.voices[v]
            .iter()
            .map(|&(id, local, _)| local.add(arena[id].duration))
            .fold(Q::ZERO, Q::max)
    }

    /// Reads the voice's `highestTime` as music21 does: the cached value, else computed now
    /// and cached.
    fn voice_highest(&mut self, v: usize, arena: &[Element]) -> Q {
        let end = self.voice_end(v, arena);
        *self.voice_cache[v].get_or_insert(end)
    }

    /// The notes and chords held by the measure itself (not by its voices):
    /// (element, offset in measure, insertion index).
    fn direct_notes(&self) -> Vec<(usize, Q, u64)> {
        self.slots
            .iter()
            .filter_map(|s| match *s {
                Slot::Note(id, local, idx) => Some((id, local, idx)),
                Slot::Voice(..) => None,
            })
            .collect()
    }

    /// The voices: (index into `voices`, insertion index).
    fn voice_slots(&self) -> Vec<(usize, u64)> {
        self.slots
            .iter()
            .filter_map(|s| match *s {
                Slot::Voice(v, idx) => Some((v, idx)),
                Slot::Note(..) => None,
            })
            .collect()
    }
}

/// `makeMeasures`, `makeVoices`, `makeTies`, `flattenUnnecessaryVoices`, then `flatten()`.
fn layout_part(
    elements: Vec<Element>,
    voices_required: bool,
    conductor: &[Element],
    counter: &mut Counter,
) -> Result<FlatPart, TokenizerError> {
    // The meter: the conductor's time signatures (with 4/4 supplied at 0) or else the part's own.
    let conductor_ts: Vec<(Q, Q)> = time_signatures(conductor);
    let meter: Vec<(Q, Q)> = if !conductor_ts.is_empty() {
        let mut m = conductor_ts;
        if !m.iter().any(|(o, _)| *o == Q::ZERO) {
            m.insert(0, (Q::ZERO, Q::new(4, 1)));
        }
        m
    } else {
        let own = time_signatures(&elements);
        if own.is_empty() {
            vec![(Q::ZERO, Q::new(4, 1))]
        } else {
            own
        }
    };
    let meter_at = |o: Q| meter.iter().rfind(|(t, _)| *t <= o).map(|(_, bar)| *bar);

    let conductor_end = conductor
        .iter()
        .filter(|e| !matches!(e.kind, Kind::Instrument(_)))
        .map(|e| e.offset)
        .max()
        .unwrap_or(Q::ZERO);
    let o_max = elements
        .iter()
        .map(Element::end)
        .max()
        .unwrap_or(Q::ZERO)
        .max(conductor_end);

    let mut measures: Vec<Measure> = Vec::new();
    let mut o = Q::ZERO;
    loop {
        let bar = meter_at(o).ok_or_else(|| {
            TokenizerError::Unsupported(
                "music21 finds no time signature at the first barline".into(),
            )
        })?;
        if !bar.is_positive() {
            return Err(TokenizerError::Unsupported(
                "a time signature of zero length".into(),
            ));
        }
        if measures.len() == MAX_MEASURES {
            return Err(TokenizerError::Unsupported(format!(
                "the piece would need more than {MAX_MEASURES} measures"
            )));
        }
        measures.push(Measure {
            start: o,
            bar,
            ..Measure::default()
        });
        o = o.add(bar);
        if o >= o_max {
            break;
        }
    }

    let mut arena: Vec<Element> = Vec::new();
    let mut instruments = Vec::new();
    let mut at_end: Vec<usize> = Vec::new();
    // What is not a note lands in its measure too; only whether it lies after the measure's
    // start matters (time signatures go to measure starts). The conductor's keys and tempos are
    // copied into every part.
    let conductor_metas = conductor.iter().filter(|e| matches!(e.kind, Kind::Other));
    for e in elements.iter().chain(conductor_metas) {
        if !matches!(e.kind, Kind::Sounding(_) | Kind::TimeSignature(_)) {
            let k = measures.partition_point(|m| m.start <= e.offset);
            if let Some(m) = k.checked_sub(1).map(|k| &mut measures[k]) {
                m.late_meta |= e.offset > m.start && e.offset < m.start.add(m.bar);
            }
        }
    }
    for e in elements {
        if let Kind::Instrument(inst) = &e.kind {
            instruments.push((e.offset, inst.clone()));
            continue;
        }
        if !matches!(e.kind, Kind::Sounding(_)) {
            continue;
        }
        let id = arena.len();
        let offset = e.offset;
        arena.push(e);
        // Measures are in order and contiguous: the last one starting at or before the offset.
        let k = measures.partition_point(|m| m.start <= offset);
        match k
            .checked_sub(1)
            .map(|k| &mut measures[k])
            .filter(|m| offset < m.start.add(m.bar))
        {
            Some(m) => {
                let local = offset.sub(m.start);
                m.slots.push(Slot::Note(id, local, counter.next()));
            }
            None => at_end.push(id),
        }
    }

    if voices_required {
        for m in &mut measures {
            make_voices(m, &arena, counter);
        }
    }
    make_ties(&mut measures, &mut arena, counter)?;
    for m in &mut measures {
        flatten_unnecessary_voices(m, counter);
    }
    restack_measures(&mut measures, &arena);

    // flatten(): visit measures in order, each in its own sort order, descending into voices.
    let mut visited: Vec<(Q, bool, usize, usize)> = Vec::new();
    for m in &measures {
        let mut slots = m.slots.clone();
        slots.sort_by_key(|s| slot_key(s, &arena));
        for s in slots {
            match s {
                Slot::Note(id, local, _) => {
                    visited.push((m.start.add(local), arena[id].grace, visited.len(), id))
                }
                Slot::Voice(v, _) => {
                    let mut notes = m.voices[v].clone();
                    notes.sort_by_key(|(id, local, idx)| (*local, !arena[*id].grace, *idx));
                    for (id, local, _) in notes {
                        visited.push((m.start.add(local), arena[id].grace, visited.len(), id));
                    }
                }
            }
        }
    }
    visited.sort_by_key(|(offset, grace, rank, _)| (*offset, !*grace, *rank));
    let mut soundings: Vec<(Q, bool, Sounding)> = visited
        .into_iter()
        .filter_map(|(offset, grace, _, id)| match &arena[id].kind {
            Kind::Sounding(s) => Some((offset, grace, s.clone())),
            _ => None,
        })
        .collect();
    for id in at_end {
        if let Kind::Sounding(s) = &arena[id].kind {
            soundings.push((arena[id].offset, arena[id].grace, s.clone()));
        }
    }
    Ok(FlatPart {
        soundings,
        instruments,
    })
}

fn slot_key(s: &Slot, arena: &[Element]) -> (Q, i32, bool, u64) {
    match *s {
        Slot::Note(id, local, idx) => (local, 20, !arena[id].grace, idx),
        Slot::Voice(_, idx) => (Q::ZERO, 5, true, idx),
    }
}

fn time_signatures(elements: &[Element]) -> Vec<(Q, Q)> {
    let mut v: Vec<(Q, Q)> = elements
        .iter()
        .filter_map(|e| match e.kind {
            Kind::TimeSignature(bar) => Some((e.offset, bar)),
            _ => None,
        })
        .collect();
    v.sort_by_key(|(o, _)| *o);
    v
}

/// `Measure.makeVoices(fillGaps=False)`: when overlapping notes need it, every note goes to the
/// first voice that is free at its onset; a note no voice can take is dropped, as in music21.
fn make_voices(m: &mut Measure, arena: &[Element], counter: &mut Counter) {
    let mut notes = m.direct_notes();
    notes.sort_by_key(|(id, local, idx)| (*local, !arena[*id].grace, *idx));
    let spans: Vec<(Q, Q)> = notes
        .iter()
        .map(|(id, local, _)| (*local, local.add(arena[*id].duration)))
        .collect();
    let max_voices = max_layering_group(&spans);
    if max_voices <= 1 {
        return;
    }
    let mut voices: Vec<Vec<(usize, Q, u64)>> = vec![Vec::new(); max_voices];
    let mut highest: Vec<Q> = vec![Q::ZERO; max_voices];
    // Each voice music21 asks "free at this onset?" caches its highestTime; an insert clears it.
    let mut cached = vec![false; max_voices];
    let mut sorted_voices = vec![true; max_voices];
    for (k, &(id, local, _)) in notes.iter().enumerate() {
        for v in 0..max_voices {
            cached[v] = true;
            if highest[v] <= local {
                sorted_voices[v] &= !highest[v].exceeds_float_of(local);
                voices[v].push((id, local, counter.next()));
                highest[v] = highest[v].max(spans[k].1);
                cached[v] = false;
                break;
            }
        }
    }
    m.slots.retain(|s| matches!(s, Slot::Voice(..)));
    // Inserting a voice into a sorted measure first computes the measure's highestTime, which
    // caches the voices already inserted; the measure is sorted for the first voice only, and
    // only when nothing in it lies after its start.
    let mut sorted = !m.late_meta;
    let first = m.voices.len();
    let kept = voices
        .into_iter()
        .zip(cached)
        .zip(highest)
        .zip(sorted_voices)
        .filter(|(((v, _), _), _)| !v.is_empty());
    for (j, (((notes, cached), end), voice_sorted)) in kept.enumerate() {
        if j > 0 && sorted {
            for v in first..m.voices.len() {
                m.voice_highest(v, arena);
            }
            sorted = false;
        }
        let index = counter.next();
        m.push_voice(notes, voice_sorted, index);
        if cached {
            m.voice_cache[first + j] = Some(end);
        }
    }
}

/// The largest group of `Stream.getOverlaps()` (`_findLayering` + `_consolidateLayering`).
fn max_layering_group(spans: &[(Q, Q)]) -> usize {
    let n = spans.len();
    let overlap = |a: (Q, Q), b: (Q, Q)| {
        let (first, second) = if a <= b { (a, b) } else { (b, a) };
        second.0 < first.1
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (spans[i], i));
    let mut map: Vec<Vec<usize>> = vec![Vec::new(); n];
    for a in 0..n {
        for b in a + 1..n {
            let (src, dst) = (order[a], order[b]);
            if overlap(spans[src], spans[dst]) {
                map[src].push(dst);
                map[dst].push(src);
            } else {
                break;
            }
        }
    }
    for l in &mut map {
        l.sort_unstable();
    }
    // Groups keyed by offset, in creation order, with each element's group remembered so that
    // music21's "is it already in some group" scan is a lookup.
    let mut groups: Vec<(Q, usize)> = Vec::new();
    let mut group_of: Vec<Option<usize>> = vec![None; n];
    let add =
        |groups: &mut Vec<(Q, usize)>, group_of: &mut Vec<Option<usize>>, key: Q, x: usize| {
            let g = match groups.iter().position(|(k, _)| *k == key) {
                Some(g) => g,
                None => {
                    groups.push((key, 0));
                    groups.len() - 1
                }
            };
            groups[g].1 += 1;
            group_of[x] = Some(g);
        };
    for (src, indices) in map.iter().enumerate() {
        if indices.is_empty() {
            continue;
        }
        let src_offset = spans[src].0;
        let mut dst_offset: Option<Q> = None;
        for &j in indices {
            let mut store = true;
            if let Some(g) = group_of[j] {
                store = false;
                dst_offset = Some(groups[g].0);
            }
            let key = *dst_offset.get_or_insert(src_offset);
            if store {
                add(&mut groups, &mut group_of, key, j);
            }
        }
        if group_of[src].is_none() {
            add(
                &mut groups,
                &mut group_of,
                dst_offset.unwrap_or(src_offset),
                src,
            );
        }
    }
    groups
        .iter()
        .map(|(_, size)| *size)
        .max()
        .unwrap_or(0)
        .max(1)
}

/// `makeTies`: a note or chord that runs past its barline is cut there and the rest continues in
/// the next measure (created if needed), where it is visited again.
fn make_ties(
    measures: &mut Vec<Measure>,
    arena: &mut Vec<Element>,
    counter: &mut Counter,
) -> Result<(), TokenizerError> {
    // `makeTies` first looks for time signatures through the whole part, which sorts every
    // voice.
    for m in measures.iter_mut() {
        m.sort_voices();
    }
    let mut k = 0;
    while k < measures.len() {
        let bar = measures[k].bar;
        if k + 1 == measures.len() {
            let start = measures[k].start.add(bar);
            measures.push(Measure {
                start,
                bar,
                ..Measure::default()
            });
        }
        // Inserts since may have unsorted the measure's voices; `makeTies` iterates them.
        measures[k].sort_voices();
        let m_has_voices = measures[k].has_voices();
        let next_has_voices = measures[k + 1].has_voices();
        // The elements of each container of measure k in its sort order.
        let mut containers: Vec<Vec<(usize, Q, Option<usize>)>> = Vec::new();
        if m_has_voices {
            let mut voice_slots = measures[k].voice_slots();
            voice_slots.sort_by_key(|(_, idx)| *idx);
            for (v, _) in voice_slots {
                let mut notes = measures[k].voices[v].clone();
                notes.sort_by_key(|(id, local, idx)| (*local, !arena[*id].grace, *idx));
                containers.push(
                    notes
                        .into_iter()
                        .map(|(id, local, _)| (id, local, Some(v)))
                        .collect(),
                );
            }
        } else {
            let mut slots = measures[k].slots.clone();
            slots.sort_by_key(|s| slot_key(s, arena));
            containers.push(
                slots
                    .into_iter()
                    .filter_map(|s| match s {
                        Slot::Note(id, local, _) => Some((id, local, None)),
                        Slot::Voice(..) => None,
                    })
                    .collect(),
            );
        }
        let mut added_next = false;
        for container in containers {
            for (id, local, voice) in container {
                let end = local.add(arena[id].duration);
                if end <= bar || local >= bar {
                    continue;
                }
                let within = bar.sub(local);
                let remain = end.sub(bar);
                arena[id].duration = within;
                let is_chord = matches!(arena[id].kind, Kind::Sounding(Sounding::Chord(_)));
                if let Some(v) = voice.filter(|_| !is_chord) {
                    measures[k].voice_cache[v] = None;
                }
                let mut rest = arena[id].clone();
                rest.duration = remain;
                rest.offset = measures[k + 1].start;
                rest.grace = false;
                let rid = arena.len();
                if rid >= MAX_PIECES || measures.len() > MAX_MEASURES {
                    return Err(TokenizerError::Unsupported(format!(
                        "the piece is too long: its notes cut at barlines would give more than \
                         {MAX_PIECES} notes and chords, or more than {MAX_MEASURES} measures"
                    )));
                }
                arena.push(rest);
                let next = &mut measures[k + 1];
                if next_has_voices {
                    if m_has_voices {
                        // music21 looks the voice up by an id that is never shared between
                        // measures, finds nothing, and inserts into the measure itself, which
                        // is sorted then, so the insert computes (and caches) every voice's end.
                        for (v, _) in next.voice_slots() {
                            next.voice_highest(v, arena);
                        }
                        next.slots.push(Slot::Note(rid, Q::ZERO, counter.next()));
                    } else {
                        let v = first_voice(next);
                        next.insert_at_start(v, rid, counter.next(), arena);
                    }
                } else if m_has_voices {
                    move_notes_to_voice(next, arena, counter);
                    let v = first_voice(next);
                    next.insert_at_start(v, rid, counter.next(), arena);
                } else {
                    next.slots.push(Slot::Note(rid, Q::ZERO, counter.next()));
                }
                added_next = true;
            }
        }
        // A measure makeTies created and nothing filled is not kept.
        if !added_next && k + 2 == measures.len() && measures[k + 1].slots.is_empty() {
            measures.pop();
        }
        k += 1;
    }
    Ok(())
}

/// The voice that sorts first in the measure (`measure.voices[0]`).
fn first_voice(m: &Measure) -> usize {
    m.voice_slots()
        .into_iter()
        .min_by_key(|(_, idx)| *idx)
        .map(|(v, _)| v)
        .unwrap_or(0)
}

/// `moveNotesToVoices`: the measure's notes move, in order, into a new voice inserted at 0.
fn move_notes_to_voice(m: &mut Measure, arena: &[Element], counter: &mut Counter) {
    let mut notes = m.direct_notes();
    notes.sort_by_key(|(_, local, idx)| (*local, *idx));
    m.slots.retain(|s| matches!(s, Slot::Voice(..)));
    let mut sorted = true;
    let mut end = Q::ZERO;
    let voice: Vec<(usize, Q, u64)> = notes
        .into_iter()
        .map(|(id, local, _)| {
            sorted &= !end.exceeds_float_of(local);
            end = end.max(local.add(arena[id].duration));
            (id, local, counter.next())
        })
        .collect();
    let index = counter.next();
    m.push_voice(voice, sorted, index);
}

/// `flattenUnnecessaryVoices`: empty voices go; a single remaining voice is dissolved into the
/// measure, its notes re-inserted after what the measure already holds.
fn flatten_unnecessary_voices(m: &mut Measure, counter: &mut Counter) {
    let voices = &m.voices;
    m.slots.retain(|s| match *s {
        Slot::Voice(v, _) => !voices[v].is_empty(),
        Slot::Note(..) => true,
    });
    if let [(v, _)] = m.voice_slots()[..] {
        let mut notes = m.voices[v].clone();
        notes.sort_by_key(|(_, local, idx)| (*local, *idx));
        m.slots.retain(|s| !matches!(s, Slot::Voice(..)));
        for (id, local, _) in notes {
            m.slots.push(Slot::Note(id, local, counter.next()));
        }
    }
}

/// The end of `midiTrackToStream`'s `makeRests(fillGaps=True, timeRangeFromBarDuration=True)`:
/// rests fill every voice and measure to its bar, then each measure is moved to start where the
/// previous one's `highestTime` ends. A measure is longer than its bar when it holds a note
/// that runs past the barline (a tie continuation inserted beside voices, which `makeTies` never
/// cuts) or a voice whose cached end is a cut chord's old end; either pushes every later
/// measure, and with them the offsets by which parts interleave.
fn restack_measures(measures: &mut [Measure], arena: &[Element]) {
    let mut start = Q::ZERO;
    for m in measures {
        m.start = start;
        let mut highest = m.bar;
        for (v, _) in m.voice_slots() {
            // The voice's own makeRests: its end is read (from the cache) first; a rest before
            // its first note, after its end or in a gap is an insert, which clears the cache.
            let end = m.voice_highest(v, arena);
            let mut notes = m.voices[v].clone();
            notes.sort_by_key(|(id, local, idx)| (*local, !arena[*id].grace, *idx));
            let mut reach = notes.first().map_or(Q::ZERO, |n| n.1);
            let mut rest = reach.is_positive() || end < m.bar;
            for &(id, local, _) in &notes {
                rest |= local > reach;
                reach = reach.max(local.add(arena[id].duration));
            }
            if rest {
                m.voice_cache[v] = None;
            }
            highest = highest.max(m.voice_highest(v, arena));
        }
        for (id, local, _) in m.direct_notes() {
            highest = highest.max(local.add(arena[id].duration));
        }
        start = start.add(highest);
    }
}

/// `instrument.partitionByInstrument(score).parts[0]`, flattened: with no instrument anywhere, the
/// first part; otherwise the notes of every part that sound under the first instrument name.
fn partition_first_part(parts: Vec<FlatPart>) -> Vec<Sounding> {
    let Some(first_name) = parts
        .iter()
        .flat_map(|p| p.instruments.iter())
        .map(|(_, i)| i.name.clone().unwrap_or_default())
        .next()
    else {
        return parts
            .into_iter()
            .next()
            .map(|p| p.soundings.into_iter().map(|s| s.2).collect())
            .unwrap_or_default();
    };
    // (offset, grace, insertion rank, sounding)
    let mut collected: Vec<(Q, bool, usize, Sounding)> = Vec::new();
    for part in &parts {
        let mut instruments = part.instruments.clone();
        instruments.sort_by_key(|(o, _)| *o);
        let mut taken = vec![false; part.soundings.len()];
        for (k, (start, inst)) in instruments.iter().enumerate() {
            if inst.name.clone().unwrap_or_default() != first_name {
                continue;
            }
            // `extendDuration` ends each instrument at the next one; the last at the part's
            // end, after every note.
            let end = instruments.get(k + 1).map(|(o, _)| *o);
            for (i, (offset, grace, s)) in part.soundings.iter().enumerate() {
                // `getElementsByOffset(start, end, includeEndBoundary=False)`; a span of zero
                // length (two instruments at one offset) holds only the zero-length notes there.
                let inside = match end {
                    Some(e) if e == *start => *grace && *offset == e,
                    Some(e) => *offset >= *start && *offset < e,
                    None => *offset >= *start,
                };
                if inside && !taken[i] {
                    taken[i] = true;
                    collected.push((*offset, *grace, collected.len(), s.clone()));
                }
            }
        }
    }
    collected.sort_by_key(|(o, g, r, _)| (*o, !*g, *r));
    collected.into_iter().map(|c| c.3).collect()
}

#[cfg(test)]
mod name_tests {
    use super::*;

    /// `tests/golden/instrument_names.json`, written by `cargo xtask golden` with music21: the
    /// class `instrument.fromString` gives for every name of its table, every General MIDI
    /// instrument name and the track names arrangers use ("Right Hand", "Piano Template", …).
    #[test]
    fn every_name_matches_as_music21_matches_it() {
        let golden: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/golden/instrument_names.json"))
                .unwrap_or_default();
        let names = golden["names"].as_object().cloned().unwrap_or_default();
        assert!(names.len() > 1100, "{} names", names.len());
        let wrong: Vec<String> = names
            .iter()
            .filter(|(name, class)| from_string(name) != class.as_str())
            .map(|(name, class)| format!("{name:?}: music21 {class}, here {:?}", from_string(name)))
            .collect();
        assert!(
            wrong.is_empty(),
            "{} differ:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }

    #[test]
    fn track_and_instrument_names_set_music21s_fields() {
        let piano = named_instrument(Some("Piano Template"), true);
        assert_eq!(
            (
                piano.class,
                piano.name.as_deref(),
                piano.part_name.as_deref()
            ),
            ("Piano", Some("Piano Template"), Some("Piano Template"))
        );
        let hand = named_instrument(Some("Right Hand"), true);
        assert_eq!(
            (hand.class, hand.name, hand.part_name.as_deref()),
            ("Instrument", None, Some("Right Hand"))
        );
        let named = named_instrument(Some("Right Hand"), false);
        assert_eq!(
            (named.name.as_deref(), named.part_name),
            (Some("Right Hand"), None)
        );
        let lousy = named_instrument(Some("Instrument 3"), true);
        assert_eq!((lousy.name, lousy.part_name), (None, None));
        let undecodable = named_instrument(None, true);
        assert_eq!(
            (undecodable.class, undecodable.name, undecodable.part_name),
            ("Instrument", None, None)
        );
    }
}
