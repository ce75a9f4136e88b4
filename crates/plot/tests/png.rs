#![allow(clippy::unwrap_used)]
//! Plots decode as PNG of the requested size and show what was drawn.

use emopiano_plot::{LinePlot, PALETTE, PlotError, Series};

fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn count(rgb: &[u8], colour: (u8, u8, u8)) -> usize {
    rgb.chunks(3)
        .filter(|p| (p[0], p[1], p[2]) == colour)
        .count()
}

fn losses(start: f64, rate: f64) -> Vec<(f64, f64)> {
    (1..=50)
        .map(|e| (e as f64, start * (-rate * e as f64).exp()))
        .collect()
}

#[test]
fn png_round_trip_has_the_size_and_every_series_colour() {
    let plot = LinePlot::new("Loss")
        .with_x_label("epoch")
        .with_y_label("loss")
        .with_size(640, 400)
        .with_series(Series::new("LSTM1", losses(4.0, 0.05)))
        .with_series(Series::new("LSTM2", losses(4.5, 0.1)))
        .with_series(Series::new("LSTM3", losses(5.0, 0.2)));
    let (w, h, rgb) = decode(&plot.to_png().unwrap());
    assert_eq!((w, h), (640, 400));
    assert_eq!(rgb, plot.to_rgb().unwrap());
    for colour in &PALETTE[..3] {
        assert!(count(&rgb, *colour) > 100, "{colour:?} barely drawn");
    }
    // A colour given to no series is absent.
    assert_eq!(count(&rgb, PALETTE[3]), 0);
}

#[test]
fn the_title_is_rendered_with_the_embedded_font() {
    let with = LinePlot::new("Loss of happy melodies, 100 epochs")
        .with_series(Series::new("", losses(4.0, 0.1)));
    let without = LinePlot::new("").with_series(Series::new("", losses(4.0, 0.1)));
    let dark = |rgb: &[u8]| {
        // The caption band: the top 30 rows of an 800-pixel-wide image.
        rgb[..800 * 30 * 3]
            .chunks(3)
            .filter(|p| p.iter().all(|&c| c < 128))
            .count()
    };
    assert!(dark(&with.to_rgb().unwrap()) > 200);
    assert_eq!(dark(&without.to_rgb().unwrap()), 0);
}

#[test]
fn nothing_finite_to_plot_is_an_error() {
    let plot = LinePlot::new("t").with_series(Series::new("nan", vec![(1.0, f64::NAN)]));
    assert!(matches!(plot.to_png(), Err(PlotError::NoData)));
    assert!(matches!(
        LinePlot::new("t").to_png(),
        Err(PlotError::NoData)
    ));
    let tiny = LinePlot::new("t")
        .with_size(10, 10)
        .with_series(Series::new("a", losses(1.0, 0.1)));
    assert!(matches!(tiny.to_png(), Err(PlotError::TooSmall { .. })));
}

#[test]
fn write_png_replaces_the_file_and_leaves_no_temporary() {
    let dir = std::env::temp_dir().join(format!("emopiano-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fig.png");
    std::fs::write(&path, b"old").unwrap();
    let plot = LinePlot::new("t").with_series(Series::new("a", losses(1.0, 0.1)));
    plot.write_png(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), plot.to_png().unwrap());
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    // A folder that does not exist: an error naming the file, and nothing written.
    let err = plot.write_png(&dir.join("missing/fig.png")).unwrap_err();
    assert!(err.to_string().contains("missing/fig.png"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The sum of darkness (255 − mean channel) over an RGB buffer.
fn darkness(rgb: &[u8]) -> u64 {
    rgb.chunks(3)
        .map(|p| 255 - (u64::from(p[0]) + u64::from(p[1]) + u64::from(p[2])) / 3)
        .sum()
}

#[test]
fn a_piano_roll_shades_notes_by_velocity_and_names_pitches() {
    use emopiano_plot::{PianoRoll, PlotError, RollNote, note_name};
    let notes = |velocity| {
        (0..8)
            .map(|i| RollNote {
                start: f64::from(i) * 0.5,
                end: f64::from(i) * 0.5 + 0.5,
                pitch: 60 + (i as u8 % 5),
                velocity,
            })
            .collect::<Vec<_>>()
    };
    let blank = PianoRoll::new("roll", notes(1)).with_bars(0.0);
    let loud = PianoRoll::new("roll", notes(127)).with_bars(0.0);
    let quiet = PianoRoll::new("roll", notes(20)).with_bars(0.0);
    let (b, q, l) = (
        darkness(&blank.to_rgb().unwrap()),
        darkness(&quiet.to_rgb().unwrap()),
        darkness(&loud.to_rgb().unwrap()),
    );
    assert!(b < q && q < l, "darkness: velocity 1 {b}, 20 {q}, 127 {l}");
    // Bar lines add ink; a roll without notes is refused.
    let barred = PianoRoll::new("roll", notes(127)).with_bars(1.0);
    assert!(darkness(&barred.to_rgb().unwrap()) > l);
    assert!(matches!(
        PianoRoll::new("empty", Vec::new()).to_png(),
        Err(PlotError::NoData)
    ));
    let png = loud.to_png().unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert_eq!(
        [note_name(21), note_name(60), note_name(61), note_name(127)],
        ["A0", "C4", "C#4", "G9"]
    );
}
