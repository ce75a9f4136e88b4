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

/// Renders notes to mono samples at `sample_rate`, `TAIL` seconds past the last note-off.
/// Percussion (channel 9) is skipped. Not normalised.
pub fn render(notes: &[Note], sample_rate: u32) -> Vec<f32> {
    let sr = sample_rate as f64;
    let end = notes
        .iter()
        .map(|n| n.offset.max(n.onset))
        .fold(0.0, f64::max);
    let mut out = vec![0.0f32; ((end + TAIL) * sr).ceil() as usize + 1];
    for n in notes.iter().filter(|n| n.channel != 9) {
        add_note(&mut out, n, sr);
    }
    out
}

fn add_note(out: &mut [f32], n: &Note, sr: f64) {
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
    // A fixed phase per partial: a deterministic render.
    let mut k = 1;
    loop {
        let f = k as f64 * f0 * (1.0 + stiffness * (k * k) as f64).sqrt();
        if f >= 0.45 * sr || k > 24 {
            break;
        }
        let a = amp * voice.partial(k);
        if a < 1e-5 {
            k += 1;
            continue;
        }
        let decay = match voice {
            Voice::Piano => (-1.0 / (tau / (1.0 + 0.4 * (k - 1) as f64) * sr)).exp(),
            _ => 1.0,
        };
        let w = 2.0 * std::f64::consts::PI * f / sr;
        let (mut s, mut c) = ((k as f64 * 0.7).sin(), (k as f64 * 0.7).cos());
        let (dw_s, dw_c) = (w.sin(), w.cos());
        let mut env = 1.0;
        let mut tail = 1.0;
        for i in 0..len {
            let Some(slot) = out.get_mut(start + i) else {
                break;
            };
            let rise = if (i as f64) < attack {
                i as f64 / attack
            } else {
                1.0
            };
            if i >= held {
                tail *= release;
            }
            *slot += (a * env * tail * rise * s) as f32;
            env *= decay;
            // Rotate (s, c) by w: one oscillator step without calling sin.
            let ns = s * dw_c + c * dw_s;
            c = c * dw_c - s * dw_s;
            s = ns;
            if tail < 1e-4 {
                break;
            }
        }
        k += 1;
    }
}
