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
/// Percussion (channel 9) is skipped. Not normalised.
pub fn render(notes: &[Note], sample_rate: u32) -> Vec<f32> {
    let sr = sample_rate as f64;
    let end = notes
        .iter()
        .map(|n| n.offset.max(n.onset))
        .fold(0.0, f64::max);
    let mut out = vec![0.0f32; ((end + TAIL) * sr).ceil() as usize + 1];
    let mut order: Vec<&Note> = notes.iter().filter(|n| n.channel != 9).collect();
    order.sort_by(|a, b| a.onset.total_cmp(&b.onset));
    for (n, cut) in order.iter().zip(voice_cuts(&order)) {
        add_note(&mut out, n, sr, cut);
    }
    out
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

/// Adds one note's partials to `out`, fading it out from `cut` seconds on.
#[allow(unsafe_code)] // one call of the AVX2 copy of `play`, after checking the processor has it
fn add_note(out: &mut [f32], n: &Note, sr: f64, cut: f64) {
    let voice = Voice::for_program(n.program);
    let f0 = 440.0 * 2f64.powf((n.pitch as f64 - 69.0) / 12.0);
    let start = (n.onset.max(0.0) * sr).round() as usize;
    let held = ((n.offset - n.onset).max(0.02) * sr) as usize;
    let len = held + (TAIL * sr) as usize;
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
    // The partials' oscillators side by side, unused ones silent (gain 0): each sample sums all
    // of them in one fixed-length pass that the compiler vectorises. A fixed phase per partial:
    // a deterministic render.
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
    if !any {
        return;
    }
    let end = len.min(out.len().saturating_sub(start));
    let span = Span {
        attack,
        held,
        stolen,
        release,
        steal,
    };
    let out = &mut out[start..start + end];
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the processor has AVX2 and FMA, checked just above.
        return unsafe { play_avx2(out, &mut bank, &span) };
    }
    play(out, &mut bank, &span);
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
fn play_avx2(out: &mut [f32], bank: &mut Bank, span: &Span) {
    play(out, bank, span)
}

/// Adds the voice to `out` (its first sample is the onset) until it has died away.
#[inline(always)]
fn play(out: &mut [f32], bank: &mut Bank, span: &Span) {
    const GROUPS: usize = MAX_PARTIALS / 4;
    // Groups of four partials in local arrays, so that each group is one vector operation.
    let group = |v: &[f64; MAX_PARTIALS]| -> [[f64; 4]; GROUPS] {
        std::array::from_fn(|g| std::array::from_fn(|l| v[4 * g + l]))
    };
    let (gain, decay) = (group(&bank.gain), group(&bank.decay));
    let (step_sin, step_cos) = (group(&bank.step_sin), group(&bank.step_cos));
    let (mut sin, mut cos) = (group(&bank.sin), group(&bank.cos));
    let mut tail = 1.0;
    for (i, slot) in out.iter_mut().enumerate() {
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
            break;
        }
    }
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
