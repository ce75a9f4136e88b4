//! Sample-rate conversion: windowed-sinc interpolation with a low-pass below the lower Nyquist
//! frequency, so downsampling does not alias.

use std::collections::HashMap;

/// Zero crossings of the sinc on either side of an output sample.
const ZEROS: f64 = 12.0;

/// Resamples `samples` from `from` Hz to `to` Hz. Returns the input unchanged when the rates agree.
///
/// Output sample `j` sits at input time `j·from/to`; its kernel (a Blackman-windowed sinc, and
/// the kernel's sum that normalises it) depends only on that time's fractional part, of which
/// there are at most `to / gcd(from, to)`: each is computed once, not per output sample (the
/// trigonometry was most of a transcription's time).
///
/// ```
/// use emopiano_audio::resample::resample;
/// let tone: Vec<f32> = (0..44_100).map(|i| (i as f32 * 0.01).sin()).collect();
/// let half = resample(&tone, 44_100, 22_050);
/// assert_eq!(half.len(), 22_050);
/// ```
pub fn resample(samples: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to || samples.is_empty() || from == 0 || to == 0 {
        return samples.to_vec();
    }
    let ratio = to as f64 / from as f64;
    let out_len = (samples.len() as f64 * ratio).round() as usize;
    // Cutoff as a fraction of the input rate, a little under the lower Nyquist frequency.
    let cutoff = 0.5 * ratio.min(1.0) * 0.94;
    let half_width = (ZEROS / (2.0 * cutoff)).ceil() as isize;
    let g = gcd(from, to);
    let (num, den) = (u128::from(from / g), u128::from(to / g));
    let mut kernels: HashMap<u128, Kernel> = HashMap::new();
    let mut out = Vec::with_capacity(out_len);
    for j in 0..out_len {
        // Input time j·num/den, exactly: its whole part and its phase.
        let whole = j as u128 * num;
        let centre = (whole / den) as isize;
        let phase = whole % den;
        let kernel = kernels
            .entry(phase)
            .or_insert_with(|| Kernel::new(phase as f64 / den as f64, cutoff, half_width));
        let mut acc = 0.0f64;
        for &(offset, k) in &kernel.taps {
            let i = centre + offset;
            if i >= 0 && (i as usize) < samples.len() {
                acc += k * samples[i as usize] as f64;
            }
        }
        out.push(if kernel.norm > 0.0 {
            (acc / kernel.norm) as f32
        } else {
            0.0
        });
    }
    out
}

/// The taps of one phase: `(input offset from the whole part, weight)` within the window, and
/// the weights' sum.
struct Kernel {
    taps: Vec<(isize, f64)>,
    norm: f64,
}

impl Kernel {
    /// The kernel of an output sample `frac` (0 ≤ frac < 1) after an input sample.
    fn new(frac: f64, cutoff: f64, half_width: isize) -> Self {
        let mut taps = Vec::with_capacity(2 * half_width as usize);
        let mut norm = 0.0f64;
        for offset in (-half_width + 1)..=half_width {
            let x = frac - offset as f64;
            let arg = 2.0 * cutoff * x;
            let sinc = if arg.abs() < 1e-9 {
                1.0
            } else {
                (std::f64::consts::PI * arg).sin() / (std::f64::consts::PI * arg)
            };
            // Blackman window over ±half_width input samples.
            let w = x / half_width as f64;
            if w.abs() >= 1.0 {
                continue;
            }
            let window = 0.42
                + 0.5 * (std::f64::consts::PI * w).cos()
                + 0.08 * (2.0 * std::f64::consts::PI * w).cos();
            let k = sinc * window;
            norm += k;
            taps.push((offset, k));
        }
        Self { taps, norm }
    }
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel computed afresh for every output sample, at `j / ratio` in floating point.
    fn direct(samples: &[f32], from: u32, to: u32) -> Vec<f32> {
        let ratio = to as f64 / from as f64;
        let out_len = (samples.len() as f64 * ratio).round() as usize;
        let cutoff = 0.5 * ratio.min(1.0) * 0.94;
        let half_width = (ZEROS / (2.0 * cutoff)).ceil() as isize;
        (0..out_len)
            .map(|j| {
                let t = j as f64 / ratio;
                let centre = t.floor() as isize;
                let (mut acc, mut norm) = (0.0f64, 0.0f64);
                for i in (centre - half_width + 1)..=(centre + half_width) {
                    let x = t - i as f64;
                    let arg = 2.0 * cutoff * x;
                    let pi = std::f64::consts::PI;
                    let sinc = if arg.abs() < 1e-9 {
                        1.0
                    } else {
                        (pi * arg).sin() / (pi * arg)
                    };
                    let w = x / half_width as f64;
                    if w.abs() >= 1.0 {
                        continue;
                    }
                    let k = sinc * (0.42 + 0.5 * (pi * w).cos() + 0.08 * (2.0 * pi * w).cos());
                    norm += k;
                    if i >= 0 && (i as usize) < samples.len() {
                        acc += k * samples[i as usize] as f64;
                    }
                }
                (acc / norm) as f32
            })
            .collect()
    }

    fn noise(n: usize) -> Vec<f32> {
        let mut rng = emopiano_common::rng::SplitMix64::new(7);
        (0..n).map(|_| rng.unit_f32() * 2.0 - 1.0).collect()
    }

    #[test]
    fn the_cached_kernels_give_what_the_direct_sum_gives() {
        let x = noise(9_000);
        // 2:1, the usual case (44.1 kHz renders to the analysis rate): bit for bit.
        assert_eq!(resample(&x, 44_100, 22_050), direct(&x, 44_100, 22_050));
        // 147 phases, up and down: within rounding.
        for (from, to) in [(48_000, 22_050), (22_050, 48_000), (8_000, 22_050)] {
            let (a, b) = (resample(&x, from, to), direct(&x, from, to));
            assert_eq!(a.len(), b.len());
            let worst = a
                .iter()
                .zip(&b)
                .map(|(p, q)| (p - q).abs())
                .fold(0.0, f32::max);
            assert!(worst < 1e-5, "{from} → {to}: {worst}");
        }
    }
}
