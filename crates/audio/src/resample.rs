//! Sample-rate conversion: windowed-sinc interpolation with a low-pass below the lower Nyquist
//! frequency, so downsampling does not alias.

/// Resamples `samples` from `from` Hz to `to` Hz. Returns the input unchanged when the rates agree.
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
    const ZEROS: f64 = 12.0;
    let half_width = (ZEROS / (2.0 * cutoff)).ceil() as isize;
    let mut out = Vec::with_capacity(out_len);
    for j in 0..out_len {
        let t = j as f64 / ratio;
        let centre = t.floor() as isize;
        let mut acc = 0.0f64;
        let mut norm = 0.0f64;
        for i in (centre - half_width + 1)..=(centre + half_width) {
            let x = t - i as f64;
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
            if i >= 0 && (i as usize) < samples.len() {
                acc += k * samples[i as usize] as f64;
            }
        }
        out.push(if norm > 0.0 { (acc / norm) as f32 } else { 0.0 });
    }
    out
}
