//! The learned note detector: a small network that reads a log-frequency spectrogram around one
//! key and one frame and says whether a note of that key starts there (onset) and whether one
//! is sounding (frame), in the manner of Onsets and Frames (Hawthorne et al., 2018) but with
//! one multilayer perceptron shared by all 88 keys, so that every key's evidence trains it.
//!
//! Input of one `(frame, key)` row ([`INPUTS`] values): for each of the frames at [`CONTEXT`]
//! offsets, the spectrum one semitone per value from two octaves below the key to four above
//! (the octave and the twelfth below tell a harmonic from a note; the partials above tell a
//! note from noise), the key's own neighbourhood at the full resolution of a third of a
//! semitone, and finally the key's place on the keyboard. Levels are decibels below the
//! clip's loudest bin, mapped from −80…0 dB to 0…1.
//!
//! Rows whose key is silent around the frame (nothing within [`GATE`] of the top at the key,
//! its octave or its twelfth) are not evaluated: they are taken as silence. The gate keeps the
//! network's work proportional to the music, and training uses the same gate.
//!
//! The weights are trained by `cargo xtask train-transcriber` on audio rendered from MIDI with
//! the built-in synthesizer and the TimGM6mb SoundFont (its `dry` recipe), and embedded in this crate
//! (`weights/detector.bin`, [`Detector::embedded`]).

use std::cell::RefCell;

use ndarray::{Array1, Array2, ArrayView2, Axis as NdAxis};

use emopiano_common::parallel::map_ordered;

use crate::notes::Note;
use crate::spectrum::{ANALYSIS_RATE, Axis, BINS_PER_SEMITONE, HOP, KEYS, magnitudes};

/// STFT window of the detector's spectrogram, samples at [`ANALYSIS_RATE`] (93 ms).
pub const WINDOW: usize = 2048;
/// Frame offsets the network sees around the frame it classifies (±70 ms).
pub const CONTEXT: [isize; 7] = [-6, -3, -1, 0, 1, 3, 6];
/// Semitones below and above the key in the coarse part of a row.
const BELOW: usize = 24;
const ABOVE: usize = 48;
/// Fine bins either side of the key's centre bin.
const FINE: usize = 4;
/// Values per context frame.
const PER_FRAME: usize = BELOW + ABOVE + 1 + 2 * FINE + 1;
/// Values in one row.
pub const INPUTS: usize = CONTEXT.len() * PER_FRAME + 1;
/// Keys, A0–C8.
pub const KEY_COUNT: usize = 88;
/// Outputs per row: onset and frame logits.
pub const OUTPUTS: usize = 2;
/// A key is evaluated only when its level (0…1) reaches this near the frame.
pub const GATE: f32 = 0.35;
/// Dynamic range of the levels.
const RANGE_DB: f32 = 80.0;

/// A clip's spectrogram in the detector's terms.
#[derive(Debug, Clone)]
pub struct Features {
    /// Frames, one every [`HOP`] samples at [`ANALYSIS_RATE`].
    pub frames: usize,
    bins: usize,
    /// `[frames][bins]` levels at a third of a semitone.
    fine: Vec<f32>,
    semitones: usize,
    /// `[frames][semitones]`: the loudest of the three bins around each semitone.
    coarse: Vec<f32>,
}

impl Features {
    /// The features of mono samples at [`ANALYSIS_RATE`].
    pub fn new(samples: &[f32]) -> Self {
        let axis = Axis::new();
        Self::from_magnitudes(&magnitudes(samples, &axis, WINDOW), axis.bins)
    }

    /// From linear magnitudes `[frames][bins]` on the transcriber's log-frequency axis.
    fn from_magnitudes(mags: &[Vec<f32>], bins: usize) -> Self {
        let frames = mags.len();
        let top = mags
            .iter()
            .flatten()
            .fold(0.0f32, |a, &b| a.max(b))
            .max(1e-12);
        let mut fine = Vec::with_capacity(frames * bins);
        for row in mags {
            fine.extend(row.iter().map(|&m| {
                let db = 20.0 * (m / top).max(1e-9).log10();
                ((db + RANGE_DB) / RANGE_DB).clamp(0.0, 1.0)
            }));
        }
        let semitones = bins / BINS_PER_SEMITONE + 1;
        let mut coarse = vec![0.0f32; frames * semitones];
        for f in 0..frames {
            let row = &fine[f * bins..(f + 1) * bins];
            for (j, c) in coarse[f * semitones..(f + 1) * semitones]
                .iter_mut()
                .enumerate()
            {
                let centre = j * BINS_PER_SEMITONE;
                let lo = centre.saturating_sub(1);
                let hi = (centre + 1).min(bins - 1);
                *c = if lo <= hi {
                    row[lo..=hi].iter().fold(0.0f32, |a, &b| a.max(b))
                } else {
                    0.0
                };
            }
        }
        Self {
            frames,
            bins,
            fine,
            semitones,
            coarse,
        }
    }

    /// Adds `tilt(bin)` to every level (clamped to 0…1): a change of timbre for training.
    pub fn tilt(&mut self, tilt: impl Fn(f32) -> f32) {
        let bins = self.bins;
        for (i, v) in self.fine.iter_mut().enumerate() {
            if *v > 0.0 {
                *v = (*v + tilt((i % bins) as f32 / bins as f32)).clamp(0.0, 1.0);
            }
        }
        let semitones = self.semitones;
        for (i, v) in self.coarse.iter_mut().enumerate() {
            if *v > 0.0 {
                let bin = (i % semitones) * BINS_PER_SEMITONE;
                *v = (*v + tilt(bin as f32 / bins as f32)).clamp(0.0, 1.0);
            }
        }
    }

    /// Semitone index of `key` on the axis (the axis starts one semitone below A0).
    fn semitone(key: usize) -> usize {
        key + 1
    }

    fn coarse_at(&self, frame: isize, semitone: isize) -> f32 {
        if frame < 0 || frame as usize >= self.frames || semitone < 0 {
            return 0.0;
        }
        let s = semitone as usize;
        if s >= self.semitones {
            return 0.0;
        }
        self.coarse[frame as usize * self.semitones + s]
    }

    /// The level of `key` (0 = A0) at `frame`: its semitone's loudest bin.
    pub fn level(&self, frame: usize, key: usize) -> f32 {
        self.coarse_at(frame as isize, Self::semitone(key) as isize)
    }

    /// Whether the network looks at `(frame, key)` (see [`GATE`]).
    pub fn gate(&self, frame: usize, key: usize) -> bool {
        let s = Self::semitone(key) as isize;
        (-2..=2).any(|d| {
            let f = frame as isize + d;
            [0, 12, 19]
                .iter()
                .any(|&up| self.coarse_at(f, s + up) >= GATE)
        })
    }

    /// Writes the row of `(frame, key)` into `out` (`INPUTS` values).
    pub fn row(&self, frame: usize, key: usize, out: &mut [f32]) {
        let s = Self::semitone(key) as isize;
        let centre = (Self::semitone(key) * BINS_PER_SEMITONE) as isize;
        let coarse = BELOW + ABOVE + 1;
        for (c, &o) in CONTEXT.iter().enumerate() {
            let part = &mut out[c * PER_FRAME..(c + 1) * PER_FRAME];
            part.fill(0.0);
            let f = frame as isize + o;
            if f < 0 || f as usize >= self.frames {
                continue;
            }
            let f = f as usize;
            let (to_coarse, to_fine) = part.split_at_mut(coarse);
            let spectrum = &self.coarse[f * self.semitones..(f + 1) * self.semitones];
            copy_window(spectrum, s - BELOW as isize, to_coarse);
            let bins = &self.fine[f * self.bins..(f + 1) * self.bins];
            copy_window(bins, centre - FINE as isize, &mut to_fine[..2 * FINE + 1]);
        }
        out[CONTEXT.len() * PER_FRAME] = key as f32 / (KEY_COUNT - 1) as f32;
    }
}

/// `a · b` on one thread (the detector's callers fan the rows out over the cores). Contiguous
/// row-major operands go through the `gemm` crate, whose AVX-512 kernels are about twice as fast
/// as ndarray's (matrixmultiply's AVX2 ones) on the rows' products; others through ndarray.
#[allow(unsafe_code)]
fn product(a: ArrayView2<f32>, b: &Array2<f32>) -> Array2<f32> {
    let ((m, k), (k2, n)) = (a.dim(), b.dim());
    let (Some(lhs), Some(rhs)) = (a.as_slice(), b.as_slice()) else {
        return a.dot(b);
    };
    if k != k2 || m == 0 || n == 0 {
        return a.dot(b);
    }
    let mut dst = vec![0.0f32; m * n];
    // SAFETY: `lhs` is `m × k`, `rhs` is `k × n` and `dst` is `m × n`, all row-major and
    // contiguous (column stride 1, row stride the width), and `dst` is a fresh buffer that
    // overlaps neither input. `read_dst` is false, so `dst`'s prior contents are not read.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            false,
            lhs.as_ptr(),
            1,
            k as isize,
            rhs.as_ptr(),
            1,
            n as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
    Array2::from_shape_vec((m, n), dst).unwrap_or_else(|_| a.dot(b))
}

/// Copies `src[start..start + dst.len()]` into the zeroed `dst`, leaving zeros where the range
/// runs off either end of `src`: whole slices, the rows being a fifth of the detector's time.
fn copy_window(src: &[f32], start: isize, dst: &mut [f32]) {
    let lo = start.max(0);
    let hi = (start + dst.len() as isize).min(src.len() as isize);
    if lo < hi {
        let skip = (lo - start) as usize;
        let (lo, hi) = (lo as usize, hi as usize);
        dst[skip..skip + (hi - lo)].copy_from_slice(&src[lo..hi]);
    }
}

/// Seconds at the centre of `frame`.
pub fn frame_seconds(frame: usize) -> f64 {
    frame as f64 * HOP as f64 / ANALYSIS_RATE as f64
}

/// Training targets of a clip's reference notes, `[frames][KEY_COUNT]` each: onset (the two
/// frames nearest the onset) and frame (the key is down).
pub fn targets(notes: &[Note], frames: usize) -> (Vec<u8>, Vec<u8>) {
    let mut onset = vec![0u8; frames * KEY_COUNT];
    let mut frame = vec![0u8; frames * KEY_COUNT];
    let hop = HOP as f64 / ANALYSIS_RATE as f64;
    for n in notes {
        if !KEYS.contains(&n.pitch) || n.channel == 9 {
            continue;
        }
        let key = (n.pitch - KEYS.start()) as usize;
        let at = n.onset / hop;
        for f in [at.floor(), at.ceil()] {
            if f >= 0.0 && (f as usize) < frames {
                onset[f as usize * KEY_COUNT + key] = 1;
            }
        }
        let first = at.ceil().max(0.0) as usize;
        let last = ((n.offset / hop).ceil() as usize).min(frames);
        for f in first..last {
            frame[f * KEY_COUNT + key] = 1;
        }
    }
    (onset, frame)
}

/// What can be wrong with a weights file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WeightsError {
    /// The file does not start with the format's tag.
    #[error("not a detector weights file (expected the tag {expected:?})")]
    Tag {
        /// The tag.
        expected: &'static str,
    },
    /// The file ends before its layers do, or has bytes after them.
    #[error("truncated or overlong weights file")]
    Length,
    /// The layers do not chain from [`INPUTS`] to [`OUTPUTS`].
    #[error("layer shapes {0:?} do not chain from {INPUTS} inputs to {OUTPUTS} outputs")]
    Shapes(Vec<(usize, usize)>),
}

const TAG: &str = "EMOPIANO-DETECTOR-1";

/// One dense layer: `y = x·w + b`, `w: [inputs, outputs]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// `[inputs, outputs]`.
    pub weight: Array2<f32>,
    /// `[outputs]`.
    pub bias: Array1<f32>,
}

/// The network: dense layers with ReLU between them; the last gives [`OUTPUTS`] logits.
#[derive(Debug, Clone, PartialEq)]
pub struct Detector {
    /// First to last.
    pub layers: Vec<Dense>,
}

/// The trained weights shipped with the crate.
static EMBEDDED: &[u8] = include_bytes!("../weights/detector.bin");

impl Detector {
    /// The weights shipped with the crate.
    pub fn embedded() -> &'static Detector {
        static CELL: std::sync::OnceLock<Detector> = std::sync::OnceLock::new();
        // The embedded file is checked by a test; a broken build artefact is a bug, not input.
        CELL.get_or_init(|| {
            Detector::from_bytes(EMBEDDED).unwrap_or_else(|e| panic!("weights/detector.bin: {e}"))
        })
    }

    /// Serialises: the tag, the layer count, then per layer `inputs`, `outputs` (u32 LE), the
    /// weight row by row and the bias (f32 LE).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = TAG.as_bytes().to_vec();
        out.extend((self.layers.len() as u32).to_le_bytes());
        for l in &self.layers {
            let (i, o) = l.weight.dim();
            out.extend((i as u32).to_le_bytes());
            out.extend((o as u32).to_le_bytes());
            for v in l.weight.iter().chain(l.bias.iter()) {
                out.extend(v.to_le_bytes());
            }
        }
        out
    }

    /// Parses [`Detector::to_bytes`]' format.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WeightsError> {
        let rest = bytes
            .strip_prefix(TAG.as_bytes())
            .ok_or(WeightsError::Tag { expected: TAG })?;
        let mut words = rest.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]]);
        if rest.len() % 4 != 0 {
            return Err(WeightsError::Length);
        }
        let mut u32_next = || {
            words
                .next()
                .map(u32::from_le_bytes)
                .ok_or(WeightsError::Length)
        };
        let count = u32_next()? as usize;
        let mut shapes = Vec::new();
        let mut layers = Vec::new();
        for _ in 0..count.min(64) {
            let (i, o) = (u32_next()? as usize, u32_next()? as usize);
            shapes.push((i, o));
            let n = i.checked_mul(o).ok_or(WeightsError::Length)?;
            if n > 1 << 26 {
                return Err(WeightsError::Length);
            }
            let mut floats = |n: usize| -> Result<Vec<f32>, WeightsError> {
                (0..n).map(|_| u32_next().map(f32::from_bits)).collect()
            };
            let weight =
                Array2::from_shape_vec((i, o), floats(n)?).map_err(|_| WeightsError::Length)?;
            let bias = Array1::from_vec(floats(o)?);
            layers.push(Dense { weight, bias });
        }
        if u32_next().is_ok() || count > 64 {
            return Err(WeightsError::Length);
        }
        let chained = !shapes.is_empty()
            && shapes[0].0 == INPUTS
            && shapes.last().map(|s| s.1) == Some(OUTPUTS)
            && shapes.windows(2).all(|w| w[0].1 == w[1].0);
        if !chained {
            return Err(WeightsError::Shapes(shapes));
        }
        Ok(Self { layers })
    }

    /// Logits `[rows, OUTPUTS]` of rows `[rows, INPUTS]`.
    pub fn logits(&self, rows: ArrayView2<f32>) -> Array2<f32> {
        let mut x: Option<Array2<f32>> = None;
        for (i, l) in self.layers.iter().enumerate() {
            // The first product reads the rows in place: a copy of them costs as much as filling them.
            let mut y = product(x.as_ref().map_or(rows, |x| x.view()), &l.weight);
            y += &l.bias;
            if i + 1 < self.layers.len() {
                y.mapv_inplace(|v| v.max(0.0));
            }
            x = Some(y);
        }
        x.unwrap_or_else(|| rows.to_owned())
    }

    /// Onset and frame probabilities, `[frames][KEY_COUNT]` each; keys outside the gate are 0.
    pub fn probabilities(&self, features: &Features) -> (Vec<f32>, Vec<f32>) {
        let cells: Vec<(usize, usize)> = (0..features.frames)
            .flat_map(|f| (0..KEY_COUNT).map(move |k| (f, k)))
            .filter(|&(f, k)| features.gate(f, k))
            .collect();
        let mut onset = vec![0.0f32; features.frames * KEY_COUNT];
        let mut frame = vec![0.0f32; features.frames * KEY_COUNT];
        const CHUNK: usize = 2048;
        let chunks: Vec<&[(usize, usize)]> = cells.chunks(CHUNK).collect();
        thread_local! {
            /// A worker's rows, reused from chunk to chunk: a fresh 4.7 MB buffer per chunk cost
            /// the kernel more in zeroed pages than filling it costs.
            static ROWS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
        }
        let results = map_ordered(&chunks, |chunk| {
            ROWS.with_borrow_mut(|rows| {
                rows.resize(chunk.len() * INPUTS, 0.0);
                for (r, &(f, k)) in rows.chunks_exact_mut(INPUTS).zip(*chunk) {
                    features.row(f, k, r);
                }
                match ArrayView2::from_shape((chunk.len(), INPUTS), &rows[..]) {
                    Ok(view) => self.logits(view),
                    Err(e) => panic!("note detector rows: {e}"),
                }
            })
        })
        // A panic in a worker is a bug here, never bad input: raise it rather than decode
        // from a partial set of rows.
        .unwrap_or_else(|e| panic!("note detector: {e}"));
        let sigmoid = |x: f32| 1.0 / (1.0 + (-x).exp());
        for (chunk, out) in chunks.iter().zip(&results) {
            for (&(f, k), o) in chunk.iter().zip(out.axis_iter(NdAxis(0))) {
                onset[f * KEY_COUNT + k] = sigmoid(o[0]);
                frame[f * KEY_COUNT + k] = sigmoid(o[1]);
            }
        }
        (onset, frame)
    }
}

/// Thresholds that turn probabilities into notes.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeOptions {
    /// An onset is a local peak of the onset probability at or above this.
    pub onset: f32,
    /// A note lasts while the frame probability stays at or above this.
    pub frame: f32,
    /// A weaker onset peak, down to this, starts a note where the frame probability has just
    /// dipped below [`DecodeOptions::gap`] and comes back: a repeated note played legato.
    pub weak_onset: f32,
    /// See [`DecodeOptions::weak_onset`].
    pub gap: f32,
    /// Shortest note written, seconds.
    pub min_duration: f64,
    /// A new onset of a key that is still sounding needs its level to rise by this many
    /// decibels over the quietest of the 4 frames before it: a re-attack, not a flicker of the
    /// network on a steady tone (a SoundFont's sample loop, vibrato).
    pub reattack_db: f32,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            onset: 0.5,
            frame: 0.5,
            weak_onset: 0.2,
            gap: 0.6,
            min_duration: 0.05,
            reattack_db: 3.0,
        }
    }
}

/// Notes from onset and frame probabilities (`[frames][KEY_COUNT]`), sorted by onset.
pub fn decode(
    onset: &[f32],
    frame: &[f32],
    features: &Features,
    opts: &DecodeOptions,
) -> Vec<Note> {
    let frames = features.frames;
    let mut notes = Vec::new();
    for key in 0..KEY_COUNT {
        let on = |f: usize| onset[f * KEY_COUNT + key];
        let fr = |f: usize| frame[f * KEY_COUNT + key];
        let rise = opts.reattack_db / RANGE_DB;
        let rises = |f: usize| {
            let before = (f.saturating_sub(4)..f)
                .map(|g| features.level(g, key))
                .fold(1.0f32, f32::min);
            let after = (f..(f + 3).min(frames))
                .map(|g| features.level(g, key))
                .fold(0.0f32, f32::max);
            after - before >= rise
        };
        // The frame probability reaches the threshold within 3 frames after `f`.
        let held_after = |f: usize| (f..(f + 4).min(frames)).any(|g| fr(g) >= opts.frame);
        let peak =
            |f: usize| (f == 0 || on(f) >= on(f - 1)) && (f + 1 >= frames || on(f) > on(f + 1));
        // The frame probability has just dipped (a gap between two notes of the key) and
        // comes back.
        let dipped = |f: usize| {
            let low = (f.saturating_sub(6)..=f).map(fr).fold(1.0f32, f32::min);
            low < opts.gap && held_after(f)
        };
        // Whether a note starts at `f` (`inside`: while the key is sounding).
        let starts = |f: usize, inside: bool| {
            peak(f)
                && held_after(f)
                && ((on(f) >= opts.onset && (!inside || rises(f)))
                    || (on(f) >= opts.weak_onset && dipped(f)))
        };
        let mut f = 0;
        while f < frames {
            if !starts(f, false) {
                f += 1;
                continue;
            }
            let p = on(f);
            // The onset's time: the peak refined by a parabola through its neighbours.
            let (a, c) = (
                if f > 0 { on(f - 1) } else { p },
                if f + 1 < frames { on(f + 1) } else { p },
            );
            let curve = a - 2.0 * p + c;
            let shift = if curve < 0.0 {
                (0.5 * (a - c) / curve).clamp(-0.5, 0.5)
            } else {
                0.0
            };
            let start = frame_seconds(f) + shift as f64 * frame_seconds(1);
            // The note lasts until the frame probability falls away or the next onset.
            let mut end = f + 1;
            while end < frames && fr(end) >= opts.frame {
                if end > f + 2 && starts(end, true) {
                    break;
                }
                end += 1;
            }
            let offset = frame_seconds(end).max(start + opts.min_duration);
            let level = (0..3)
                .map(|d| features.level((f + d).min(frames - 1), key))
                .fold(0.0f32, f32::max);
            let velocity = (20.0 + 107.0 * level).round().clamp(1.0, 127.0) as u8;
            notes.push(Note::new(
                start.max(0.0),
                offset,
                key as u8 + KEYS.start(),
                velocity,
            ));
            f = end.max(f + 1);
        }
    }
    crate::notes::sort_notes(&mut notes);
    notes
}

/// Transcribes mono samples at [`ANALYSIS_RATE`] with `detector`.
pub fn detect(samples: &[f32], detector: &Detector, opts: &DecodeOptions) -> Vec<Note> {
    let features = Features::new(samples);
    let (onset, frame) = detector.probabilities(&features);
    decode(&onset, &frame, &features, opts)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_gemm_product_is_ndarrays_product() {
        // Sizes off the kernels' tiles, and a transposed (non-contiguous) operand that takes
        // ndarray's path.
        let a = Array2::from_shape_fn((37, 53), |(i, j)| ((i * 7 + j * 3) % 11) as f32 - 5.0);
        let b = Array2::from_shape_fn((53, 19), |(i, j)| ((i * 5 + j) % 13) as f32 / 13.0);
        for lhs in [a.view(), a.t().t()] {
            let ours = product(lhs, &b);
            let theirs = lhs.dot(&b);
            assert_eq!(ours.dim(), theirs.dim());
            for (x, y) in ours.iter().zip(&theirs) {
                assert!((x - y).abs() <= 1e-4 * y.abs().max(1.0), "{x} vs {y}");
            }
        }
        let at = a.t().to_owned();
        let ours = product(at.t(), &b);
        assert!(
            ours.iter()
                .zip(&a.dot(&b))
                .all(|(x, y)| (x - y).abs() < 1e-3)
        );
    }

    fn tiny(seed: u32) -> Detector {
        // Deterministic, distinct values.
        let mut x = seed;
        let mut next = move || {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        let mut layer = |i: usize, o: usize| Dense {
            weight: Array2::from_shape_fn((i, o), |_| next()),
            bias: Array1::from_shape_fn(o, |_| next()),
        };
        Detector {
            layers: vec![layer(INPUTS, 5), layer(5, 3), layer(3, OUTPUTS)],
        }
    }

    #[test]
    fn weights_round_trip_through_bytes() {
        let d = tiny(1);
        assert_eq!(Detector::from_bytes(&d.to_bytes()).unwrap(), d);
    }

    #[test]
    fn damaged_weights_are_refused() {
        let bytes = tiny(2).to_bytes();
        assert!(matches!(
            Detector::from_bytes(b"RIFF1234"),
            Err(WeightsError::Tag { .. })
        ));
        assert_eq!(
            Detector::from_bytes(&bytes[..bytes.len() - 4]),
            Err(WeightsError::Length)
        );
        let mut longer = bytes.clone();
        longer.extend([0; 4]);
        assert_eq!(Detector::from_bytes(&longer), Err(WeightsError::Length));
        let mut wrong = tiny(3);
        wrong.layers.pop();
        assert!(matches!(
            Detector::from_bytes(&wrong.to_bytes()),
            Err(WeightsError::Shapes(_))
        ));
    }

    #[test]
    fn the_embedded_weights_load() {
        let d = Detector::embedded();
        assert_eq!(d.layers[0].weight.dim().0, INPUTS);
        assert_eq!(d.layers.last().unwrap().weight.dim().1, OUTPUTS);
        assert!(
            d.layers
                .iter()
                .all(|l| l.weight.iter().all(|v| v.is_finite()))
        );
    }

    #[test]
    fn logits_are_the_dense_layers_with_relu_between() {
        let d = tiny(4);
        let row: Vec<f32> = (0..INPUTS).map(|i| (i % 7) as f32 / 7.0).collect();
        let got = d.logits(ArrayView2::from_shape((1, INPUTS), &row).unwrap());
        // The same arithmetic written out with plain loops.
        let mut x = row.clone();
        for (n, l) in d.layers.iter().enumerate() {
            let (i, o) = l.weight.dim();
            let mut y: Vec<f32> = (0..o)
                .map(|c| l.bias[c] + (0..i).map(|r| x[r] * l.weight[[r, c]]).sum::<f32>())
                .collect();
            if n + 1 < d.layers.len() {
                y.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            x = y;
        }
        for c in 0..OUTPUTS {
            assert!(
                (got[[0, c]] - x[c]).abs() < 1e-4,
                "{} vs {}",
                got[[0, c]],
                x[c]
            );
        }
    }

    #[test]
    fn targets_mark_onset_frames_and_the_held_key() {
        let hop = frame_seconds(1);
        // A4 (key 48 from A0) from frame 10.4 to frame 20.
        let notes = [Note::new(10.4 * hop, 20.0 * hop, 69, 100)];
        let (onset, frame) = targets(&notes, 30);
        let on: Vec<usize> = (0..30).filter(|f| onset[f * KEY_COUNT + 48] == 1).collect();
        assert_eq!(on, [10, 11]);
        let held: Vec<usize> = (0..30).filter(|f| frame[f * KEY_COUNT + 48] == 1).collect();
        assert_eq!(held, (11..20).collect::<Vec<_>>());
        assert_eq!(onset.iter().map(|&v| v as usize).sum::<usize>(), 2);
    }

    #[test]
    fn a_sine_is_loudest_at_its_key_in_the_row() {
        // 440 Hz = A4 = key 48 from A0.
        let samples: Vec<f32> = (0..ANALYSIS_RATE as usize)
            .map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / ANALYSIS_RATE as f32).sin())
            .collect();
        let f = Features::new(&samples);
        let mid = f.frames / 2;
        let loudest = (0..KEY_COUNT)
            .max_by(|&a, &b| f.level(mid, a).total_cmp(&f.level(mid, b)))
            .unwrap();
        assert_eq!(loudest, 48);
        assert!(f.gate(mid, 48));
        // Two octaves below the sine nothing is near the key, its octave or its twelfth.
        assert!(!f.gate(mid, 24));
        let mut row = vec![0.0; INPUTS];
        f.row(mid, 48, &mut row);
        // The centre frame's fine bins peak at the key's own bin, at the clip's top level.
        let centre = CONTEXT.iter().position(|&o| o == 0).unwrap() * PER_FRAME;
        let fine = &row[centre + BELOW + ABOVE + 1..centre + PER_FRAME];
        assert_eq!(fine[FINE], 1.0);
        assert_eq!(row[INPUTS - 1], 48.0 / 87.0);
        // Rows at the first frame see zeros before the clip starts.
        f.row(0, 48, &mut row);
        assert!(row[..PER_FRAME].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn rows_hold_the_levels_around_the_key_and_zeros_beyond_the_clip_and_the_axis() {
        // A chord over a low and a high note, so that rows reach both ends of the axis.
        let samples: Vec<f32> = (0..ANALYSIS_RATE as usize / 2)
            .map(|i| {
                let t = i as f32 / ANALYSIS_RATE as f32;
                [27.5f32, 261.6, 329.6, 392.0, 4186.0]
                    .iter()
                    .map(|hz| (2.0 * std::f32::consts::PI * hz * t).sin())
                    .sum::<f32>()
            })
            .collect();
        let f = Features::new(&samples);
        let mut row = vec![f32::NAN; INPUTS];
        for frame in [0, 1, 5, f.frames / 2, f.frames - 2, f.frames - 1] {
            for key in 0..KEY_COUNT {
                f.row(frame, key, &mut row);
                // Each value read one at a time, as the row's layout says.
                let s = Features::semitone(key) as isize;
                let centre = (Features::semitone(key) * BINS_PER_SEMITONE) as isize;
                let mut i = 0;
                for &o in &CONTEXT {
                    let t = frame as isize + o;
                    let inside = t >= 0 && (t as usize) < f.frames;
                    for d in -(BELOW as isize)..=ABOVE as isize {
                        let want = if inside { f.coarse_at(t, s + d) } else { 0.0 };
                        assert_eq!(row[i], want, "frame {frame} key {key} value {i}");
                        i += 1;
                    }
                    for d in -(FINE as isize)..=FINE as isize {
                        let b = centre + d;
                        let want = if inside && b >= 0 && (b as usize) < f.bins {
                            f.fine[t as usize * f.bins + b as usize]
                        } else {
                            0.0
                        };
                        assert_eq!(row[i], want, "frame {frame} key {key} value {i}");
                        i += 1;
                    }
                }
                assert_eq!(i, INPUTS - 1);
                assert_eq!(row[i], key as f32 / 87.0);
            }
        }
    }

    #[test]
    fn decode_turns_an_onset_peak_and_held_frames_into_one_note() {
        let f = Features::new(&vec![0.0; HOP * 40]);
        let mut onset = vec![0.0; f.frames * KEY_COUNT];
        let mut frame = vec![0.0; f.frames * KEY_COUNT];
        let key = 39; // C4
        for (t, p) in [(9, 0.3), (10, 0.9), (11, 0.6)] {
            onset[t * KEY_COUNT + key] = p;
        }
        for t in 10..25 {
            frame[t * KEY_COUNT + key] = 0.8;
        }
        // A second onset inside the held frames starts a second note when it is a re-attack …
        onset[20 * KEY_COUNT + key] = 0.7;
        let opts = DecodeOptions {
            reattack_db: 0.0,
            ..DecodeOptions::default()
        };
        let notes = decode(&onset, &frame, &f, &opts);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert_eq!(notes[0].pitch, 60);
        // The parabola through 0.3, 0.9, 0.6 peaks a sixth of a frame after frame 10.
        let expected =
            frame_seconds(10) + (0.5 * (0.3 - 0.6) / (0.3 - 1.8 + 0.6)) * frame_seconds(1);
        assert!((notes[0].onset - expected).abs() < 1e-9);
        assert!((notes[0].offset - frame_seconds(20)).abs() < 1e-9);
        assert!((notes[1].onset - frame_seconds(20)).abs() < 1e-9);
        assert!((notes[1].offset - frame_seconds(25)).abs() < 1e-9);
        // … and not when the key's level is steady (here: silent features, no rise at all).
        let notes = decode(&onset, &frame, &f, &DecodeOptions::default());
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!((notes[0].offset - frame_seconds(25)).abs() < 1e-9);
    }
}
