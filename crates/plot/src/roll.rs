//! Piano rolls: notes as bars on a pitch × time grid, their velocity as shade, bar lines, and
//! note names on the pitch axis.

use std::path::Path;

use plotters::prelude::*;

use crate::{FAMILY, PlotError, encode_png, register_font, write_png};

/// One note, in beats (quarter notes) from the start of the piece.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RollNote {
    /// Onset, in beats.
    pub start: f64,
    /// End, in beats (after `start`).
    pub end: f64,
    /// MIDI pitch (60 = C4).
    pub pitch: u8,
    /// MIDI velocity (1–127): the darker, the louder.
    pub velocity: u8,
}

/// A titled piano roll, built with `with_*` methods and rendered with [`PianoRoll::to_png`] or
/// [`PianoRoll::write_png`].
///
/// ```
/// use emopiano_plot::{PianoRoll, RollNote};
///
/// let notes = vec![
///     RollNote { start: 0.0, end: 1.0, pitch: 60, velocity: 40 },
///     RollNote { start: 1.0, end: 2.5, pitch: 64, velocity: 100 },
/// ];
/// let png = PianoRoll::new("sad.mid", notes).with_bars(4.0).to_png()?;
/// assert_eq!(&png[1..4], b"PNG");
/// # Ok::<(), emopiano_plot::PlotError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PianoRoll {
    /// Caption above the roll.
    pub title: String,
    /// The notes.
    pub notes: Vec<RollNote>,
    /// Beats per bar (a line at every bar); 0 draws none.
    pub bar: f64,
    /// Size in pixels, `(width, height)`.
    pub size: (u32, u32),
}

pub use emopiano_common::midi::note_name;

impl PianoRoll {
    /// A 1000×400 roll of `notes` with a bar line every 4 beats.
    pub fn new(title: impl Into<String>, notes: Vec<RollNote>) -> Self {
        Self {
            title: title.into(),
            notes,
            bar: 4.0,
            size: (1000, 400),
        }
    }

    /// Sets the beats per bar (0: no bar lines).
    pub fn with_bars(mut self, beats: f64) -> Self {
        self.bar = beats;
        self
    }

    /// Sets the size in pixels.
    pub fn with_size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    fn finite(&self) -> impl Iterator<Item = &RollNote> {
        self.notes
            .iter()
            .filter(|n| n.start.is_finite() && n.end.is_finite() && n.end >= n.start)
    }

    /// Renders to packed RGB bytes, row by row: `width * height * 3` of them.
    pub fn to_rgb(&self) -> Result<Vec<u8>, PlotError> {
        let (width, height) = self.size;
        if width < 200 || height < 150 {
            return Err(PlotError::TooSmall { width, height });
        }
        let (mut low, mut high, mut end) = (u8::MAX, 0u8, 0f64);
        for n in self.finite() {
            low = low.min(n.pitch);
            high = high.max(n.pitch);
            end = end.max(n.end);
        }
        if low > high {
            return Err(PlotError::NoData);
        }
        // A few semitones around the notes, at least an octave in all.
        let pad = (12u8.saturating_sub(high - low) / 2).max(2);
        let (low, high) = (low.saturating_sub(pad), high.saturating_add(pad).min(127));
        let end = if end > 0.0 { end } else { 1.0 };
        register_font();
        let draw = |e: &dyn std::fmt::Display| PlotError::Draw(e.to_string());
        let mut buffer = vec![255u8; width as usize * height as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut buffer, (width, height)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| draw(&e))?;
            let y_range = f64::from(low)..f64::from(high) + 1.0;
            let mut chart = ChartBuilder::on(&root)
                .caption(&self.title, (FAMILY, 20))
                .margin(10)
                .x_label_area_size(36)
                .y_label_area_size(48)
                .build_cartesian_2d(0.0..end, y_range)
                .map_err(|e| draw(&e))?;
            // One label per semitone when they fit, else every C and F#.
            let rows = usize::from(high - low) + 1;
            let every = if rows * 14 <= height as usize { 1 } else { 6 };
            chart
                .configure_mesh()
                .disable_x_mesh()
                .disable_y_mesh()
                .x_desc("beats")
                .y_labels(rows + 1)
                .y_label_formatter(&|y| {
                    let pitch = y.floor() as u8;
                    let on_row =
                        (y - y.floor()).abs() < 1e-6 && usize::from(pitch % 12) % every == 0;
                    // A name stands at the bottom of its row; the row's middle holds the note.
                    if on_row {
                        note_name(pitch)
                    } else {
                        String::new()
                    }
                })
                .label_style((FAMILY, 12))
                .axis_desc_style((FAMILY, 14))
                .draw()
                .map_err(|e| draw(&e))?;
            // Rows of black keys shaded, as on a piano roll editor.
            let black = |p: u8| matches!(p % 12, 1 | 3 | 6 | 8 | 10);
            chart
                .draw_series((low..=high).filter(|&p| black(p)).map(|p| {
                    Rectangle::new(
                        [(0.0, f64::from(p)), (end, f64::from(p) + 1.0)],
                        RGBColor(244, 244, 246).filled(),
                    )
                }))
                .map_err(|e| draw(&e))?;
            if self.bar > 0.0 {
                let bars = (end / self.bar).ceil() as usize;
                chart
                    .draw_series((0..=bars).map(|i| {
                        let x = i as f64 * self.bar;
                        PathElement::new(
                            vec![(x, f64::from(low)), (x, f64::from(high) + 1.0)],
                            RGBColor(170, 170, 170).stroke_width(1),
                        )
                    }))
                    .map_err(|e| draw(&e))?;
            }
            chart
                .draw_series(self.finite().map(|n| {
                    // Velocity 1 is a pale blue, 127 a deep one.
                    let v = f64::from(n.velocity.clamp(1, 127)) / 127.0;
                    let shade = |pale: f64, deep: f64| (pale + (deep - pale) * v) as u8;
                    let colour =
                        RGBColor(shade(200.0, 8.0), shade(220.0, 48.0), shade(245.0, 140.0));
                    let y = f64::from(n.pitch);
                    Rectangle::new([(n.start, y + 0.1), (n.end, y + 0.9)], colour.filled())
                }))
                .map_err(|e| draw(&e))?;
            root.present().map_err(|e| draw(&e))?;
        }
        Ok(buffer)
    }

    /// Renders to the bytes of a PNG file.
    pub fn to_png(&self) -> Result<Vec<u8>, PlotError> {
        encode_png(&self.to_rgb()?, self.size)
    }

    /// Renders to a PNG file, written to a temporary name and renamed.
    pub fn write_png(&self, path: &Path) -> Result<(), PlotError> {
        write_png(path, &self.to_png()?)
    }
}
