//! Draws a chart description with plotters, once as PNG and once as SVG, in the embedded font.
//! Log axes are drawn as linear axes over log10 of the values (libm), with ticks placed by
//! `ticks`, so no pixel depends on the platform's maths library. The legend sits in a panel
//! right of the plot, where it cannot cover data.

use crate::ticks;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use sim_core::metrics::Metric;
use std::path::{Path, PathBuf};

/// Pixels of every chart, PNG and SVG alike.
pub const SIZE: (u32, u32) = (1000, 620);
pub const FONT: &str = "sans-serif";

/// Tableau 10: distinct hues that stay apart for common colour blindness.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scale {
    Linear,
    Log,
}

/// How tick values read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Format {
    /// The number itself (the axis label names the unit).
    Plain,
    /// Nanoseconds, shown in ns/µs/ms/s.
    Duration,
    /// Bytes, shown in KiB/MiB/GiB.
    Bytes,
}

impl Format {
    /// How a catalogue metric's values read, from its unit.
    pub fn of_metric(metric: &str) -> Format {
        match Metric::by_name(metric).map(|m| m.info().unit) {
            Some("ns") => Format::Duration,
            Some("bytes") => Format::Bytes,
            _ => Format::Plain,
        }
    }

    /// What the values are, for axis labels.
    pub fn words(self) -> &'static str {
        match self {
            Format::Duration => "time",
            Format::Bytes => "bytes",
            Format::Plain => "count",
        }
    }
}

pub struct Axis {
    pub label: String,
    pub scale: Scale,
    pub format: Format,
    /// Where the major ticks go; chosen from the data when absent.
    pub ticks: Option<Vec<f64>>,
    /// The range reaches down to zero (linear axes).
    pub from_zero: bool,
}

pub struct Series {
    pub label: String,
    /// Joined by straight segments.
    pub line: Vec<(f64, f64)>,
    /// Drawn as markers of the series' shape.
    pub markers: Vec<(f64, f64)>,
    /// Error bars `(x, low, high)`: a whisker with caps from low to high at x.
    pub bars: Vec<(f64, f64, f64)>,
}

pub struct Chart {
    /// File name without extension.
    pub name: String,
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    pub series: Vec<Series>,
}

/// Something drawn once as PNG and once as SVG, at `SIZE`.
pub trait Figure {
    /// File name without extension.
    fn name(&self) -> &str;
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, pen: Pen) -> DrawResult<DB>;
}

impl Figure for Chart {
    fn name(&self) -> &str {
        &self.name
    }

    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, pen: Pen) -> DrawResult<DB> {
        let points = || {
            self.series.iter().flat_map(|s| {
                s.line
                    .iter()
                    .chain(&s.markers)
                    .copied()
                    .chain(s.bars.iter().flat_map(|&(x, lo, hi)| [(x, lo), (x, hi)]))
            })
        };
        let x = layout(&self.x, points().map(|p| p.0));
        let y = layout(&self.y, points().map(|p| p.1));
        draw_on(root, pen, self, &x, &y)
    }
}

/// Writes `figure` as `<name>.png` and `<name>.svg` into `dir`.
pub fn write<F: Figure>(figure: &F, dir: &Path) -> Result<Vec<PathBuf>, String> {
    let png = dir.join(format!("{}.png", figure.name()));
    let svg = dir.join(format!("{}.svg", figure.name()));
    {
        let root = BitMapBackend::new(&png, SIZE).into_drawing_area();
        figure.draw_on(&root, Pen::Traced).map_err(|e| format!("{}: {e}", png.display()))?;
        root.present().map_err(|e| format!("{}: {e}", png.display()))?;
    }
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        figure.draw_on(&root, Pen::Stroke).map_err(|e| format!("{}: {e}", svg.display()))?;
        root.present().map_err(|e| format!("{}: {e}", svg.display()))?;
    }
    std::fs::write(&svg, text).map_err(|e| format!("{}: {e}", svg.display()))?;
    Ok(vec![png, svg])
}

/// One axis as drawn: its range and ticks in plotted coordinates (log10 on log axes).
pub struct Layout {
    scale: Scale,
    lo: f64,
    hi: f64,
    major: Vec<(f64, String)>,
    minor: Vec<f64>,
}

impl Layout {
    /// A linear axis over `lo..hi` with these major ticks and no minor ones.
    pub fn linear(lo: f64, hi: f64, major: Vec<(f64, String)>) -> Layout {
        Layout { scale: Scale::Linear, lo, hi, major, minor: Vec::new() }
    }

    pub fn map(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Linear => v,
            Scale::Log => libm::log10(v),
        }
    }

    /// Like `map`, but a value a log axis cannot show (zero or less) goes to the axis' bottom.
    fn map_or_bottom(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Log if v <= 0.0 => self.lo,
            _ => self.map(v),
        }
    }

    pub fn coord(&self) -> Coord {
        Coord { lo: self.lo, hi: self.hi, major: self.major.iter().map(|t| t.0).collect(), minor: self.minor.clone() }
    }

    /// The major ticks' labels.
    pub fn tick_labels(&self) -> impl Iterator<Item = &str> {
        self.major.iter().map(|t| t.1.as_str())
    }

    /// The label of the major tick nearest `v`.
    pub fn label(&self, v: f64) -> String {
        self.major
            .iter()
            .min_by(|a, b| (a.0 - v).abs().total_cmp(&(b.0 - v).abs()))
            .map(|t| t.1.clone())
            .unwrap_or_default()
    }
}

/// A linear plotters coordinate whose grid lines are exactly the ticks laid out here.
#[derive(Clone)]
pub struct Coord {
    lo: f64,
    hi: f64,
    major: Vec<f64>,
    minor: Vec<f64>,
}

impl Ranged for Coord {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let frac = if self.hi > self.lo { (v - self.lo) / (self.hi - self.lo) } else { 0.5 };
        limit.0 + libm::round(f64::from(limit.1 - limit.0) * frac) as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.major.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

pub fn tick_label(format: Format, v: f64) -> String {
    match format {
        Format::Plain => ticks::sig3(v),
        Format::Duration => ticks::duration(v),
        Format::Bytes => ticks::bytes(v),
    }
}

fn layout(axis: &Axis, values: impl Iterator<Item = f64>) -> Layout {
    layout_with(axis, values, 7)
}

/// An axis laid out over `values` with about `ticks` major ticks (linear axes).
pub fn layout_with(axis: &Axis, values: impl Iterator<Item = f64>, ticks: u32) -> Layout {
    let values: Vec<f64> = values.filter(|v| v.is_finite() && (axis.scale == Scale::Linear || *v > 0.0)).collect();
    match axis.scale {
        Scale::Linear => {
            let mut lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let mut hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if values.is_empty() {
                (lo, hi) = (0.0, 1.0);
            }
            if axis.from_zero {
                lo = lo.min(0.0);
            }
            if hi <= lo {
                let pad = if lo == 0.0 { 1.0 } else { lo.abs() / 10.0 };
                (lo, hi) = (lo - pad, hi + pad);
            }
            let pad = (hi - lo) * 0.03;
            let (lo, hi) = (lo - pad, hi + pad);
            let (major, minor) = match &axis.ticks {
                Some(t) => {
                    let t: Vec<f64> = t.iter().copied().filter(|v| *v >= lo && *v <= hi).collect();
                    (t.iter().map(|&v| (v, tick_label(axis.format, v))).collect(), Vec::new())
                }
                None => {
                    let (step, e) = ticks::nice_step(hi - lo, ticks);
                    let label = |v: f64| match axis.format {
                        Format::Plain => ticks::fixed(v, e),
                        f => tick_label(f, v),
                    };
                    let major = ticks::multiples(lo, hi, step).into_iter().map(|v| (v, label(v))).collect();
                    let minor = ticks::multiples(lo, hi, step / 2.0);
                    (major, minor)
                }
            };
            Layout { scale: Scale::Linear, lo, hi, major, minor }
        }
        Scale::Log => {
            let logs: Vec<f64> = values.iter().map(|&v| libm::log10(v)).collect();
            let mut lo = logs.iter().copied().fold(f64::INFINITY, f64::min);
            let mut hi = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if logs.is_empty() {
                (lo, hi) = (0.0, 1.0);
            }
            if hi - lo < 0.5 {
                let mid = (lo + hi) / 2.0;
                (lo, hi) = (mid - 0.25, mid + 0.25);
            }
            let pad = ((hi - lo) * 0.05).max(0.08);
            let (lo, hi) = (lo - pad, hi + pad);
            let (real_lo, real_hi) = (libm::pow(10.0, lo), libm::pow(10.0, hi));
            let (major, minor) = match &axis.ticks {
                Some(t) => {
                    let t: Vec<f64> = t.iter().copied().filter(|v| *v >= real_lo && *v <= real_hi).collect();
                    (ticks::thin(t, 12), Vec::new())
                }
                None => ticks::log_ticks(real_lo, real_hi),
            };
            Layout {
                scale: Scale::Log,
                lo,
                hi,
                major: major.into_iter().map(|v| (libm::log10(v), tick_label(axis.format, v))).collect(),
                minor: minor.into_iter().map(libm::log10).collect(),
            }
        }
    }
}

pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    pen: Pen,
    chart: &Chart,
    x: &Layout,
    y: &Layout,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let area = root.titled(&chart.title, (FONT, 22).into_font().color(&BLACK))?;

    let legend_font: TextStyle = (FONT, 15).into_font().color(&BLACK);
    let mut legend_w = 0;
    for s in &chart.series {
        legend_w = legend_w.max(root.estimate_text_size(&s.label, &legend_font)?.0);
    }
    let legend_w = (legend_w + 70).min(SIZE.0 * 2 / 5);
    let (plot, legend) = area.split_horizontally(SIZE.0 - legend_w);

    let tick_font: TextStyle = (FONT, 14).into_font().color(&BLACK);
    let mut y_labels_w = 0;
    for t in &y.major {
        y_labels_w = y_labels_w.max(root.estimate_text_size(&t.1, &tick_font)?.0);
    }
    let mut cc = ChartBuilder::on(&plot)
        .margin_top(8)
        .margin_left(8)
        .margin_bottom(8)
        .margin_right(12)
        .x_label_area_size(54)
        .y_label_area_size(y_labels_w + 44)
        .build_cartesian_2d(x.coord(), y.coord())?;
    let x_fmt = |v: &f64| x.label(*v);
    let y_fmt = |v: &f64| y.label(*v);
    cc.configure_mesh()
        .x_desc(chart.x.label.as_str())
        .y_desc(chart.y.label.as_str())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style(tick_font.clone())
        .axis_desc_style((FONT, 16).into_font().color(&BLACK))
        .bold_line_style(BLACK.mix(0.16))
        .light_line_style(BLACK.mix(0.06))
        .axis_style(BLACK.mix(0.8))
        .draw()?;

    let plotting = cc.plotting_area();
    for (i, s) in chart.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        // Lines are drawn in pixels, repeated pixels and the middles of straight runs dropped.
        let line = simplify(s.line.iter().map(|&(a, b)| plotting.map_coordinate(&(x.map(a), y.map(b)))).collect());
        draw_line(root, pen, i, &line, color)?;
        for &(a, b) in &s.markers {
            marker(plotting, i, (x.map(a), y.map(b)), color)?;
        }
        for &(a, lo, hi) in &s.bars {
            let top = plotting.map_coordinate(&(x.map(a), y.map_or_bottom(hi)));
            let bottom = plotting.map_coordinate(&(x.map(a), y.map_or_bottom(lo)));
            let stroke = color.stroke_width(1);
            root.draw(&PathElement::new(vec![top, bottom], stroke))?;
            // A cap where the interval ends; none where a log axis cuts it off.
            let cut = chart.y.scale == Scale::Log && lo <= 0.0;
            for end in [Some(top), (!cut).then_some(bottom)].into_iter().flatten() {
                root.draw(&PathElement::new(vec![(end.0 - 4, end.1), (end.0 + 4, end.1)], stroke))?;
            }
        }
    }

    // The legend: one row per series, its line and marker, then its name.
    let rows = chart.series.len().max(1) as i32;
    let height = legend.dim_in_pixel().1 as i32;
    let row = ((height - 40) / rows).clamp(8, 24);
    for (i, s) in chart.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let y = 24 + row * i as i32;
        let (x0, y0) = legend.get_base_pixel();
        draw_line(root, pen, i, &[(x0 + 6, y0 + y), (x0 + 42, y0 + y)], color)?;
        if !s.markers.is_empty() {
            marker(&legend, i, (24, y), color)?;
        }
        legend.draw(&Text::new(s.label.clone(), (50, y), legend_font.pos(Pos::new(HPos::Left, VPos::Center))))?;
    }
    Ok(())
}

/// How a 2-pixel line is drawn: as a stroke of width 2 (SVG), or, for step lines in a bitmap, as a
/// 1-pixel line traced three times a pixel apart, since plotters fills a wide path as one polygon,
/// which leaves holes where a step line turns back on itself.
#[derive(Clone, Copy, PartialEq)]
pub enum Pen {
    Stroke,
    Traced,
}

/// Series `i`'s line in pixels: solid for the first ten series, dashed for the next ten, in turn.
pub fn draw_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    pen: Pen,
    i: usize,
    line: &[(i32, i32)],
    color: RGBColor,
) -> DrawResult<DB> {
    if line.len() < 2 {
        return Ok(());
    }
    let axis_aligned = line.windows(2).all(|w| w[0].0 == w[1].0 || w[0].1 == w[1].1);
    let (width, offsets): (u32, &[(i32, i32)]) = match pen {
        Pen::Traced if axis_aligned => (1, &[(0, 0), (1, 0), (0, 1)]),
        _ => (2, &[(0, 0)]),
    };
    for &(dx, dy) in offsets {
        let pts: Vec<(i32, i32)> = line.iter().map(|&(x, y)| (x + dx, y + dy)).collect();
        if (i / PALETTE.len()).is_multiple_of(2) {
            root.draw(&PathElement::new(pts, color.stroke_width(width)))?;
        } else {
            root.draw(&plotters::element::DashedPathElement::new(pts, 8, 5, color.stroke_width(width)))?;
        }
    }
    Ok(())
}

/// Drops repeated pixels and the middle of three pixels in a straight horizontal or vertical run.
pub fn simplify(points: Vec<(i32, i32)>) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = Vec::with_capacity(points.len());
    for p in points {
        if out.last() == Some(&p) {
            continue;
        }
        if let [.., a, b] = out[..] {
            let between = |u: i32, v: i32, w: i32| (u <= v && v <= w) || (u >= v && v >= w);
            if (a.0 == b.0 && b.0 == p.0 && between(a.1, b.1, p.1))
                || (a.1 == b.1 && b.1 == p.1 && between(a.0, b.0, p.0))
            {
                out.pop();
            }
        }
        out.push(p);
    }
    out
}

/// Series `i`'s marker: circle, square, triangle, cross, in turn.
fn marker<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    i: usize,
    at: CT::From,
    color: RGBColor,
) -> DrawResult<DB>
where
    CT::From: Clone,
{
    let fill = color.filled();
    match i % 4 {
        0 => area.draw(&Circle::new(at, 4, fill)),
        1 => area.draw(&(EmptyElement::at(at) + Rectangle::new([(-4, -4), (4, 4)], fill))),
        2 => area.draw(&TriangleMarker::new(at, 6, fill)),
        _ => area.draw(&Cross::new(at, 5, color.stroke_width(2))),
    }
}
