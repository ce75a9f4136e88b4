//! The built-in synthesizer: additive voices, so rendering works with no SoundFont installed.
//!
//! Pianos (GM programs 0–7, and anything without a voice of its own) are struck strings: slightly
//! inharmonic partials (stiffness `B`), each decaying exponentially, higher partials and higher
//! notes faster. Trumpet (56), French horn (60) and flute (73) — the Eerola stimuli's timbres —
//! and other sustained programs are blown: partials held while the key is down, with a short
//! attack. A note-off starts a release of `RELEASE` seconds.

use crate::notes::Note;

/// Release time constant after a note-off, in seconds.
pub const RELEASE: f64 = 0.08;
/// How long a voice is rendered after its note-off (about 7 time constants: −60 dB).
pub const TAIL: f64 = 0.6;

/// Partial amplitudes and behaviour of one instrument family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Voice {
    /// Struck and decaying (piano and the default).
    Piano,
    /// Sustained, bright: many strong partials (trumpet, brass).
    Brass,
    /// Sustained, mellow: few partials (French horn).
    Horn,
    /// Sustained, nearly sinusoidal, a little breath (flute, pipes).
    Flute,
}

impl Voice {
    /// The voice for a General MIDI program.
    pub fn for_program(program: u8) -> Self {
        match program {
            60 => Voice::Horn,
            56..=59 | 61..=63 => Voice::Brass,
            64..=79 => Voice::Flute,
            _ => Voice::Piano,
        }
    }

    /// Amplitude of partial `k` (1-based) relative to the fundamental.
    fn partial(self, k: usize) -> f64 {
        let k = k as f64;
        match self {
            Voice::Piano => 1.0 / k.powf(1.1),
            Voice::Brass => 1.0 / (1.0 + 0.15 * (k - 3.0).powi(2)).sqrt(),
            Voice::Horn => 0.9f64.powf(k - 1.0) / k,
            Voice::Flute => [1.0, 0.35, 0.12, 0.05, 0.02]
                .get(k as usize - 1)
                .copied()
                .unwrap_or(0.0),
        }
    }
}

/// Voices sounding at once, as in rustysynth's default: a note struck while this many sound
/// (release tails included) cuts off the oldest, so the cost of a render grows with its length,
/// not with how many notes are crammed into it.
pub const MAX_VOICES: usize = 64;
/// Partials per voice, at most.
const MAX_PARTIALS: usize = 24;
/// Time constant of the fade of a voice that was cut off, in seconds.
const STEAL: f64 = 0.004;

/// Renders notes to mono samples at `sample_rate`, `TAIL` seconds past the last note-off.
/// Percussion (channel 9) is skipped. Not normalised. The whole piece in memory: see [`Synth`]
/// for one block at a time.
pub fn render(notes: &[Note], sample_rate: u32) -> Vec<f32> {
    let mut synth = Synth::new(notes, sample_rate);
    let mut out = vec![0.0f32; synth.len()];
    synth.fill(&mut out);
    out
}

/// The built-in synthesizer as a stream: [`Synth::fill`] renders the next block, holding only
/// the notes that sound in it, so memory grows with the notes, not with the piece's length.
/// Blocks of any sizes give the samples [`render`] gives, bit for bit.
///
/// ```
/// use emopiano_audio::{notes::Note, synth::{Synth, render}};
/// let notes = [Note::new(0.0, 0.5, 60, 90), Note::new(0.25, 1.0, 64, 80)];
/// let mut synth = Synth::new(&notes, 8000);
/// let mut streamed = Vec::new();
/// let mut block = [0.0f32; 1000];
/// loop {
///     let n = synth.fill(&mut block);
///     if n == 0 { break; }
///     streamed.extend_from_slice(&block[..n]);
/// }
/// assert_eq!(streamed, render(&notes, 8000));
/// ```
pub struct Synth {
    sr: f64,
    /// Notes in onset order, with when each one's voice is taken by a later note.
    notes: Vec<(Note, f64)>,
    /// The next note of `notes` to start.
    next: usize,
    /// Voices started and still sounding, in onset order (the order their samples are summed).
    sounding: Vec<Sounding>,
    /// Samples rendered so far, and in all.
    at: usize,
    len: usize,
}

impl Synth {
    /// A stream of `notes` at `sample_rate`; percussion (channel 9) is skipped.
    pub fn new(notes: &[Note], sample_rate: u32) -> Self {
        let sr = sample_rate as f64;
        let end = notes
            .iter()
            .map(|n| n.offset.max(n.onset))
            .fold(0.0, f64::max);
        let mut order: Vec<&Note> = notes.iter().filter(|n| n.channel != 9).collect();
        order.sort_by(|a, b| a.onset.total_cmp(&b.onset));
        let cuts = voice_cuts(&order);
        Self {
            sr,
            notes: order.into_iter().copied().zip(cuts).collect(),
            next: 0,
            sounding: Vec::new(),
            at: 0,
            len: ((end + TAIL) * sr).ceil() as usize + 1,
        }
    }

    /// Samples in the whole render.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the render has no samples (never: there is always a tail).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Renders the next `out.len()` samples (fewer at the end) into `out`, overwriting it, and
    /// returns how many; 0 once the render is complete.
    pub fn fill(&mut self, out: &mut [f32]) -> usize {
        let n = out.len().min(self.len - self.at);
        let out = &mut out[..n];
        out.fill(0.0);
        let (from, to) = (self.at, self.at + n);
        while let Some(&(note, cut)) = self.notes.get(self.next) {
            if onset_sample(&note, self.sr) >= to {
                break;
            }
            self.next += 1;
            if let Some(voice) = Sounding::new(&note, self.sr, cut, self.len) {
                self.sounding.push(voice);
            }
        }
        self.sounding.retain_mut(|v| {
            let start = v.start.max(from);
            let end = v.end.min(to);
            if start < end && !v.play(&mut out[start - from..end - from]) {
                return false;
            }
            v.end > to
        });
        self.at = to;
        n
    }
}

fn onset_sample(n: &Note, sr: f64) -> usize {
    (n.onset.max(0.0) * sr).round() as usize
}

/// For notes in onset order, when each one's voice is taken by a later note (`f64::INFINITY`:
/// never): the oldest of [`MAX_VOICES`] sounding voices gives way to the next note.
fn voice_cuts(notes: &[&Note]) -> Vec<f64> {
    let mut cuts = vec![f64::INFINITY; notes.len()];
    // Indices of sounding voices, oldest first.
    let mut sounding: std::collections::VecDeque<usize> = Default::default();
    for (i, n) in notes.iter().enumerate() {
        sounding.retain(|&j| notes[j].offset.max(notes[j].onset) + TAIL > n.onset);
        if sounding.len() == MAX_VOICES
            && let Some(oldest) = sounding.pop_front()
        {
            cuts[oldest] = n.onset;
        }
        sounding.push_back(i);
    }
    cuts
}

/// One note's voice: its partials' oscillators and where it is in its envelope.
struct Sounding {
    bank: Bank,
    span: Span,
    /// First sample, and the sample after its last.
    start: usize,
    end: usize,
    /// Samples played since the onset, and the release and steal envelopes' level.
    played: usize,
    tail: f64,
}

impl Sounding {
    /// The voice of one note, faded out from `cut` seconds on, rendered into a piece of `len`
    /// samples; `None` for a note with no audible partial.
    fn new(n: &Note, sr: f64, cut: f64, len: usize) -> Option<Self> {
        let voice = Voice::for_program(n.program);
        let f0 = 440.0 * 2f64.powf((n.pitch as f64 - 69.0) / 12.0);
        let start = onset_sample(n, sr);
        let held = ((n.offset - n.onset).max(0.02) * sr) as usize;
        let samples = held + (TAIL * sr) as usize;
        let amp = 0.25 * (n.velocity as f64 / 127.0).powf(1.5);
        // Piano strings decay over seconds, faster as they get shorter.
        let tau = 2.5 * 2f64.powf(-(n.pitch as f64 - 48.0) / 24.0);
        let stiffness = if voice == Voice::Piano { 3e-4 } else { 0.0 };
        let attack = match voice {
            Voice::Piano => 0.003,
            Voice::Flute => 0.04,
            _ => 0.025,
        } * sr;
        let release = (-1.0 / (RELEASE * sr)).exp();
        let steal = (-1.0 / (STEAL * sr)).exp();
        // Samples after the onset at which the voice is taken (usize::MAX: never).
        let stolen = if cut.is_finite() {
            ((cut - n.onset).max(0.0) * sr) as usize
        } else {
            usize::MAX
        };
        // The partials' oscillators side by side, unused ones silent (gain 0): each sample sums
        // all of them in one fixed-length pass that the compiler vectorises. A fixed phase per
        // partial: a deterministic render.
        let mut bank = Bank::default();
        let mut any = false;
        for k in 1..=MAX_PARTIALS {
            let f = k as f64 * f0 * (1.0 + stiffness * (k * k) as f64).sqrt();
            if f >= 0.45 * sr {
                break;
            }
            let a = amp * voice.partial(k);
            if a < 1e-5 {
                continue;
            }
            let j = k - 1;
            any = true;
            bank.gain[j] = a;
            bank.decay[j] = match voice {
                Voice::Piano => (-1.0 / (tau / (1.0 + 0.4 * (k - 1) as f64) * sr)).exp(),
                _ => 1.0,
            };
            let w = 2.0 * std::f64::consts::PI * f / sr;
            bank.sin[j] = (k as f64 * 0.7).sin();
            bank.cos[j] = (k as f64 * 0.7).cos();
            bank.step_sin[j] = w.sin();
            bank.step_cos[j] = w.cos();
        }
        let end = start + samples.min(len.saturating_sub(start));
        (any && start < end).then_some(Self {
            bank,
            span: Span {
                attack,
                held,
                stolen,
                release,
                steal,
            },
            start,
            end,
            played: 0,
            tail: 1.0,
        })
    }

    /// Adds the voice's next `out.len()` samples to `out`; false once it has died away.
    #[allow(unsafe_code)] // one call of the AVX2 copy of `play`, after checking the processor has it
    fn play(&mut self, out: &mut [f32]) -> bool {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the processor has AVX2 and FMA, checked just above.
            return unsafe { play_avx2(out, self) };
        }
        play(out, self)
    }
}

/// The oscillators of one voice's partials (index: partial − 1).
#[derive(Default)]
struct Bank {
    gain: [f64; MAX_PARTIALS],
    decay: [f64; MAX_PARTIALS],
    sin: [f64; MAX_PARTIALS],
    cos: [f64; MAX_PARTIALS],
    step_sin: [f64; MAX_PARTIALS],
    step_cos: [f64; MAX_PARTIALS],
}

/// A voice's envelope, in samples from its onset.
struct Span {
    attack: f64,
    held: usize,
    stolen: usize,
    release: f64,
    steal: f64,
}

/// [`play`] compiled for AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn play_avx2(out: &mut [f32], voice: &mut Sounding) -> bool {
    play(out, voice)
}

/// Adds the voice's next samples to `out` and keeps its state for the next call; false once it
/// has died away.
#[inline(always)]
fn play(out: &mut [f32], voice: &mut Sounding) -> bool {
    const GROUPS: usize = MAX_PARTIALS / 4;
    // Groups of four partials in local arrays, so that each group is one vector operation.
    let group = |v: &[f64; MAX_PARTIALS]| -> [[f64; 4]; GROUPS] {
        std::array::from_fn(|g| std::array::from_fn(|l| v[4 * g + l]))
    };
    let ungroup = |v: &[[f64; 4]; GROUPS], to: &mut [f64; MAX_PARTIALS]| {
        for (j, x) in to.iter_mut().enumerate() {
            *x = v[j / 4][j % 4];
        }
    };
    let (bank, span) = (&mut voice.bank, &voice.span);
    let (gain, decay) = (group(&bank.gain), group(&bank.decay));
    let (step_sin, step_cos) = (group(&bank.step_sin), group(&bank.step_cos));
    let (mut sin, mut cos) = (group(&bank.sin), group(&bank.cos));
    let mut tail = voice.tail;
    let mut alive = true;
    for (k, slot) in out.iter_mut().enumerate() {
        let i = voice.played + k;
        let rise = if (i as f64) < span.attack {
            i as f64 / span.attack
        } else {
            1.0
        };
        if i >= span.held {
            tail *= span.release;
        }
        if i >= span.stolen {
            tail *= span.steal;
        }
        // Four running sums, not one: a single sum is a chain of dependent additions that
        // cannot be vectorised.
        let mut lanes = [0.0f64; 4];
        for g in 0..GROUPS {
            for l in 0..4 {
                lanes[l] += gain[g][l] * sin[g][l];
                // Rotate (sin, cos) by the partial's step, and let it decay.
                let s = sin[g][l] * step_cos[g][l] + cos[g][l] * step_sin[g][l];
                cos[g][l] = (cos[g][l] * step_cos[g][l] - sin[g][l] * step_sin[g][l]) * decay[g][l];
                sin[g][l] = s * decay[g][l];
            }
        }
        let sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        *slot += (sum * tail * rise) as f32;
        if tail < 1e-4 {
            alive = false;
            break;
        }
    }
    voice.played += out.len();
    voice.tail = tail;
    ungroup(&sin, &mut bank.sin);
    ungroup(&cos, &mut bank.cos);
    alive
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_more_than_max_voices_sound_at_once() {
        // 2,000 notes 1 ms apart, each held 50 ms: about 650 would ring together without a limit.
        let notes: Vec<Note> = (0..2000)
            .map(|i| {
                let t = i as f64 * 1e-3;
                Note::new(t, t + 0.05, 40 + (i % 40) as u8, 80)
            })
            .collect();
        let order: Vec<&Note> = notes.iter().collect();
        let cuts = voice_cuts(&order);
        // A voice sounds from its onset until its tail ends or it is cut (its fade is a few ms).
        let ends: Vec<f64> = notes
            .iter()
            .zip(&cuts)
            .map(|(n, &cut)| (n.offset + TAIL).min(cut))
            .collect();
        for (i, n) in notes.iter().enumerate() {
            let t = n.onset;
            let sounding = (0..=i)
                .filter(|&j| notes[j].onset <= t && ends[j] > t)
                .count();
            assert!(sounding <= MAX_VOICES, "{sounding} voices at {t} s");
        }
        // The oldest voices are the ones that give way, and only when the limit is reached.
        assert!(cuts[..MAX_VOICES].iter().all(|c| c.is_finite()));
        assert_eq!(cuts[0], notes[MAX_VOICES].onset);
        let sparse: Vec<Note> = (0..100)
            .map(|i| Note::new(i as f64, i as f64 + 0.5, 60, 80))
            .collect();
        let order: Vec<&Note> = sparse.iter().collect();
        assert!(voice_cuts(&order).iter().all(|c| c.is_infinite()));
    }
}
