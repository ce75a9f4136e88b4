//! The spectral front end both transcription methods share: a Hann-windowed STFT every [`HOP`]
//! samples at [`ANALYSIS_RATE`], mapped to a log-frequency axis of [`BINS_PER_SEMITONE`]
//! bins per semitone over the piano's [`KEYS`].

use std::sync::Arc;

use realfft::RealFftPlanner;

/// Sample rate of the analysis.
pub const ANALYSIS_RATE: u32 = 22_050;
/// STFT hop, samples (11.6 ms).
pub const HOP: usize = 256;
/// Log-frequency resolution.
pub const BINS_PER_SEMITONE: usize = 3;
/// Lowest and highest key transcribed (the piano's range).
pub const KEYS: std::ops::RangeInclusive<u8> = 21..=108;

/// Frequency of a (fractional) MIDI key.
pub(crate) fn hz(key: f64) -> f64 {
    440.0 * 2f64.powf((key - 69.0) / 12.0)
}

/// The log-frequency axis: bin `i` is centred on key `LOW + i / BINS_PER_SEMITONE`.
pub(crate) struct Axis {
    pub(crate) low: f64,
    pub(crate) bins: usize,
}

impl Axis {
    pub(crate) fn new() -> Self {
        let low = *KEYS.start() as f64 - 1.0;
        let nyquist_key = 69.0 + 12.0 * ((ANALYSIS_RATE as f64 / 2.0 * 0.9) / 440.0).log2();
        let bins = ((nyquist_key - low) * BINS_PER_SEMITONE as f64) as usize;
        Self { low, bins }
    }
    pub(crate) fn key(&self, bin: usize) -> f64 {
        self.low + bin as f64 / BINS_PER_SEMITONE as f64
    }
}

/// Sparse weights from FFT bins to log-frequency bins: for each log bin, `(fft bin, weight)`.
fn filterbank(axis: &Axis, window: usize) -> Vec<Vec<(usize, f32)>> {
    let bin_hz = ANALYSIS_RATE as f64 / window as f64;
    (0..axis.bins)
        .map(|b| {
            let centre = axis.key(b);
            let half = 1.0 / BINS_PER_SEMITONE as f64;
            let (lo, hi) = (hz(centre - half), hz(centre + half));
            let f_lo = (lo / bin_hz).floor().max(1.0) as usize;
            let f_hi = ((hi / bin_hz).ceil() as usize).min(window / 2);
            let mut w: Vec<(usize, f32)> = (f_lo..=f_hi)
                .filter_map(|f| {
                    let key = 69.0 + 12.0 * ((f as f64 * bin_hz) / 440.0).log2();
                    let d = (key - centre).abs() * BINS_PER_SEMITONE as f64;
                    (d < 1.0).then_some((f, (1.0 - d) as f32))
                })
                .collect();
            if w.is_empty() {
                // Below the FFT's resolution: take the nearest FFT bin.
                let f = ((hz(centre) / bin_hz).round() as usize).clamp(1, window / 2);
                w.push((f, 1.0));
            }
            w
        })
        .collect()
}

/// Log-frequency magnitudes `[frames][axis.bins]` of a Hann-windowed STFT of `window` samples
/// every [`HOP`]; frame `f` is centred on sample `f·HOP`.
pub(crate) fn magnitudes(samples: &[f32], axis: &Axis, window: usize) -> Vec<Vec<f32>> {
    let bank = filterbank(axis, window);
    let mut planner = RealFftPlanner::<f32>::new();
    let fft: Arc<dyn realfft::RealToComplex<f32>> = planner.plan_fft_forward(window);
    let hann: Vec<f32> = (0..window)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / window as f32).cos())
        .collect();
    let frames = samples.len() / HOP + 1;
    let mut input = fft.make_input_vec();
    let mut output = fft.make_output_vec();
    let mut scratch = fft.make_scratch_vec();
    let mut spec = Vec::with_capacity(frames);
    let mut mags = vec![0.0f32; window / 2 + 1];
    for f in 0..frames {
        let start = (f * HOP) as isize - (window / 2) as isize;
        for (i, slot) in input.iter_mut().enumerate() {
            let s = start + i as isize;
            *slot = if s >= 0 && (s as usize) < samples.len() {
                samples[s as usize] * hann[i]
            } else {
                0.0
            };
        }
        if fft
            .process_with_scratch(&mut input, &mut output, &mut scratch)
            .is_err()
        {
            spec.push(vec![0.0; axis.bins]);
            continue;
        }
        for (m, c) in mags.iter_mut().zip(&output) {
            *m = c.norm();
        }
        spec.push(
            bank.iter()
                .map(|w| w.iter().map(|&(i, g)| g * mags[i]).sum::<f32>())
                .collect(),
        );
    }
    spec
}
