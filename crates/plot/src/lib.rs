//! Line plots rendered to PNG, for the loss curves of `cargo xtask reproduce-table1` (the paper's
//! Figs 3–10) and anything else that plots a few series against a shared x axis, and piano rolls
//! of melodies ([`PianoRoll`]).
//!
//! The crate embeds its font (a Basic-Latin subset of DejaVu Sans, see `assets/`), so a plot renders
//! the same on a fresh machine with no fonts installed, and it encodes PNG itself: no system
//! libraries, no Burn.
//!
//! ```
//! use emopiano_plot::{LinePlot, Series};
//!
//! let plot = LinePlot::new("Loss, happy, 100 epochs")
//!     .with_x_label("epoch")
//!     .with_y_label("loss")
//!     .with_series(Series::new("LSTM1", vec![(1.0, 4.2), (2.0, 3.1), (3.0, 2.5)]))
//!     .with_series(Series::new("LSTM2", vec![(1.0, 4.4), (2.0, 2.9), (3.0, 1.7)]));
//! let png = plot.to_png()?;
//! assert_eq!(&png[1..4], b"PNG");
//! # Ok::<(), emopiano_plot::PlotError>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

mod roll;
pub use roll::{PianoRoll, RollNote, note_name};

/// The colours given to series, in order (they repeat after the last).
pub const PALETTE: [(u8, u8, u8); 6] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
];

/// An axis range, `(low, high)`.
type Range = (f64, f64);

const FONT: &[u8] = include_bytes!("../assets/DejaVuSans-subset.ttf");
const FAMILY: &str = "sans-serif";

/// What can go wrong while plotting.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// No series holds a finite point.
    #[error("nothing to plot: no series has a finite point")]
    NoData,
    /// The width or height is too small to hold the axes.
    #[error("a plot of {width}×{height} pixels is too small (at least 200×150)")]
    TooSmall {
        /// Requested width in pixels.
        width: u32,
        /// Requested height in pixels.
        height: u32,
    },
    /// plotters failed while drawing.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Encode(String),
    /// Writing the file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// A solid line through the points.
    #[default]
    Line,
    /// A dashed line through the points (a reference measured elsewhere).
    Dashed,
    /// A marker at each point, no line (single figures, such as a paper's table entries).
    Markers,
}

/// One named line: `(x, y)` points, drawn in order. Non-finite points are skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// The points, in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Line, dashes or markers.
    pub style: Style,
    /// An RGB colour; `None` takes the next one of [`PALETTE`] by the series' position.
    pub colour: Option<(u8, u8, u8)>,
}

impl Series {
    /// A solid series from its label and points.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            label: label.into(),
            points,
            style: Style::Line,
            colour: None,
        }
    }

    /// This series drawn as `style`.
    pub fn with_style(mut self, style: Style) -> Self {
        self.style = style;
        self
    }

    /// This series in `colour` (RGB) instead of its palette colour.
    pub fn with_colour(mut self, colour: (u8, u8, u8)) -> Self {
        self.colour = Some(colour);
        self
    }

    fn finite(&self) -> impl Iterator<Item = (f64, f64)> + Clone + '_ {
        self.points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    }
}

/// A titled line plot with a legend, built with `with_*` methods and rendered with
/// [`LinePlot::to_png`] or [`LinePlot::write_png`].
#[derive(Debug, Clone, PartialEq)]
pub struct LinePlot {
    /// Caption above the plot.
    pub title: String,
    /// Label under the x axis.
    pub x_label: String,
    /// Label beside the y axis.
    pub y_label: String,
    /// The lines, coloured from [`PALETTE`] in order.
    pub series: Vec<Series>,
    /// Size in pixels, `(width, height)`.
    pub size: (u32, u32),
}

impl LinePlot {
    /// An empty 800×500 plot with a title.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            x_label: String::new(),
            y_label: String::new(),
            series: Vec::new(),
            size: (800, 500),
        }
    }

    /// Sets the x-axis label.
    pub fn with_x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Sets the y-axis label.
    pub fn with_y_label(mut self, label: impl Into<String>) -> Self {
        self.y_label = label.into();
        self
    }

    /// Adds a line.
    pub fn with_series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    /// Sets the size in pixels.
    pub fn with_size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// The axis ranges: x spans the data exactly, y starts at 0 when every value is non-negative
    /// (losses), with 5% headroom.
    fn ranges(&self) -> Result<(Range, Range), PlotError> {
        let mut x = (f64::INFINITY, f64::NEG_INFINITY);
        let mut y = (f64::INFINITY, f64::NEG_INFINITY);
        for (px, py) in self.series.iter().flat_map(Series::finite) {
            x = (x.0.min(px), x.1.max(px));
            y = (y.0.min(py), y.1.max(py));
        }
        if !x.0.is_finite() {
            return Err(PlotError::NoData);
        }
        if x.0 == x.1 {
            x = (x.0 - 0.5, x.1 + 0.5);
        }
        if y.0 >= 0.0 {
            y.0 = 0.0;
        }
        let span = if y.1 > y.0 { y.1 - y.0 } else { 1.0 };
        Ok((x, (y.0, y.1 + 0.05 * span)))
    }

    /// Renders to packed RGB bytes, row by row: `width * height * 3` of them.
    pub fn to_rgb(&self) -> Result<Vec<u8>, PlotError> {
        let (width, height) = self.size;
        if width < 200 || height < 150 {
            return Err(PlotError::TooSmall { width, height });
        }
        let (x_range, y_range) = self.ranges()?;
        register_font();
        let draw = |e: &dyn std::fmt::Display| PlotError::Draw(e.to_string());
        let mut buffer = vec![255u8; width as usize * height as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut buffer, (width, height)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| draw(&e))?;
            let mut chart = ChartBuilder::on(&root)
                .caption(&self.title, (FAMILY, 22))
                .margin(12)
                .x_label_area_size(44)
                .y_label_area_size(64)
                .build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)
                .map_err(|e| draw(&e))?;
            chart
                .configure_mesh()
                .x_desc(&self.x_label)
                .y_desc(&self.y_label)
                .label_style((FAMILY, 14))
                .axis_desc_style((FAMILY, 16))
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(|e| draw(&e))?;
            for (i, series) in self.series.iter().enumerate() {
                let (r, g, b) = series.colour.unwrap_or(PALETTE[i % PALETTE.len()]);
                let colour = RGBColor(r, g, b);
                let stroke = colour.stroke_width(2);
                let drawn = match series.style {
                    Style::Line => chart.draw_series(LineSeries::new(series.finite(), stroke)),
                    Style::Dashed => {
                        chart.draw_series(DashedLineSeries::new(series.finite(), 8, 5, stroke))
                    }
                    Style::Markers => chart
                        .draw_series(series.finite().map(|p| Circle::new(p, 5, colour.filled()))),
                }
                .map_err(|e| draw(&e))?
                .label(series.label.as_str());
                // The legend's sample of the series, drawn as the series is.
                match series.style {
                    Style::Line => drawn
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], stroke)),
                    Style::Dashed => drawn.legend(move |(x, y)| {
                        EmptyElement::at((x, y))
                            + PathElement::new(vec![(0, 0), (8, 0)], stroke)
                            + PathElement::new(vec![(12, 0), (20, 0)], stroke)
                    }),
                    Style::Markers => {
                        drawn.legend(move |(x, y)| Circle::new((x + 10, y), 5, colour.filled()))
                    }
                };
            }
            if self.series.iter().any(|s| !s.label.is_empty()) {
                chart
                    .configure_series_labels()
                    .label_font((FAMILY, 15))
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .position(SeriesLabelPosition::UpperRight)
                    .draw()
                    .map_err(|e| draw(&e))?;
            }
            root.present().map_err(|e| draw(&e))?;
        }
        Ok(buffer)
    }

    /// Renders to the bytes of a PNG file.
    pub fn to_png(&self) -> Result<Vec<u8>, PlotError> {
        encode_png(&self.to_rgb()?, self.size)
    }

    /// Renders to a PNG file, written to a temporary name and renamed, so an existing file is
    /// replaced whole or not at all.
    pub fn write_png(&self, path: &Path) -> Result<(), PlotError> {
        write_png(path, &self.to_png()?)
    }
}

/// Packed RGB bytes of `(width, height)` as a PNG file.
fn encode_png(rgb: &[u8], (width, height): (u32, u32)) -> Result<Vec<u8>, PlotError> {
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| PlotError::Encode(e.to_string()))?;
        writer
            .write_image_data(rgb)
            .map_err(|e| PlotError::Encode(e.to_string()))?;
    }
    Ok(png)
}

/// Writes `png` to `path` through a temporary file and a rename.
fn write_png(path: &Path, png: &[u8]) -> Result<(), PlotError> {
    emopiano_common::fs::write_atomically(path, png).map_err(|source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded font is checked by this crate's tests, so this cannot fail at run time.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_font_parses() {
        assert!(plotters::style::register_font("check", FontStyle::Normal, FONT).is_ok());
    }

    #[test]
    fn y_axis_starts_at_zero_for_losses_and_x_spans_the_data() {
        let plot = LinePlot::new("t").with_series(Series::new(
            "a",
            vec![(1.0, 2.0), (5.0, 4.0), (f64::NAN, 9.0)],
        ));
        let ((x0, x1), (y0, y1)) = plot.ranges().unwrap();
        assert_eq!((x0, x1), (1.0, 5.0));
        assert_eq!(y0, 0.0);
        assert!((y1 - 4.2).abs() < 1e-12);
    }
}
