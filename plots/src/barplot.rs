//! Draws a bar chart: a title, the metric's meaning, a legend row above the plot (never over a
//! bar), bars from zero with their values on top, and under each bar the parameters it stands
//! for, one per line, or turned upright when the bars are too narrow for them.

use crate::render::{tick_label, DrawResult, Figure, Format, Layout, Pen, FONT, PALETTE, SIZE};
use crate::ticks;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// What a bar stands for: one part per swept parameter.
#[derive(Clone)]
pub struct Part {
    /// As it reads alone: a name bare ("mm_lock"), other values as `name=value`.
    pub text: String,
    /// The value alone, for a label under its parameter's name.
    pub value: String,
}

pub struct Bar {
    pub label: Vec<Part>,
    /// The mean over seeds; none when no run had a sample.
    pub value: Option<f64>,
    /// The least and greatest value over seeds, when there were several and they differ.
    pub range: Option<(f64, f64)>,
    /// Index into the palette (and into the legend).
    pub color: usize,
}

pub struct BarChart {
    /// File name without extension.
    pub name: String,
    pub title: String,
    /// The metric's meaning, drawn under the title (wrapped if long).
    pub subtitle: String,
    /// The parameters the bars' labels name.
    pub x_label: String,
    pub y_label: String,
    pub format: Format,
    pub bars: Vec<Bar>,
    /// The names of the colours; empty when there is only one.
    pub legend: Vec<String>,
}

const MARGIN: u32 = 8;
const MARGIN_RIGHT: u32 = 20;
/// Room under the bar labels for the axis description.
const X_DESC: u32 = 34;
/// Room beside the tick labels for the axis description.
const Y_DESC: i32 = 44;
const LINE: i32 = 18;
/// Space between a bar (or its whisker) and its value.
const GAP: i32 = 4;

impl Figure for BarChart {
    fn name(&self) -> &str {
        &self.name
    }

    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, _: Pen) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (w, h) = (SIZE.0 as i32, SIZE.1 as i32);

        // The header: title, meaning, legend.
        let title_font: TextStyle = (FONT, 22).into_font().color(&BLACK);
        let sub_font: TextStyle = (FONT, 15).into_font().color(&RGBColor(70, 70, 70));
        let centred = Pos::new(HPos::Center, VPos::Top);
        root.draw(&Text::new(self.title.clone(), (w / 2, 10), title_font.pos(centred)))?;
        let mut y = 42;
        for line in wrap(root, &self.subtitle, &sub_font, w - 40)? {
            root.draw(&Text::new(line, (w / 2, y), sub_font.pos(centred)))?;
            y += 20;
        }
        y += legend(root, &self.legend, y + 4)?;
        let (_, body) = root.split_vertically(y + 4);
        let body_h = h - (y + 4);

        let tick_font: TextStyle = (FONT, 14).into_font().color(&BLACK);
        let label_font: TextStyle = (FONT, 14).into_font().color(&BLACK);
        let value_font: TextStyle = (FONT, 13).into_font().color(&BLACK);
        let n = self.bars.len().max(1) as i32;
        let data_top =
            self.bars.iter().flat_map(|b| b.value.into_iter().chain(b.range.map(|r| r.1))).fold(0.0, f64::max);
        let data_top = if data_top > 0.0 { data_top } else { 1.0 };

        // Widths first: the y tick labels (from a first guess at the range) leave the bars their slots.
        let guess_w = ticks_width(root, &y_ticks(data_top * 1.3, self.format), &tick_font)?;
        let slot = (w - MARGIN as i32 - MARGIN_RIGHT as i32 - guess_w - Y_DESC) / n;

        // Upright labels may take up to half the body; longer ones are cut short.
        let upright_room = (body_h - 2 * MARGIN as i32) / 2 - 10 - X_DESC as i32;
        let labels = Labels::choose(root, &self.bars, slot, upright_room, &label_font)?;
        let x_area = (labels.height() + 10) as u32 + X_DESC;

        // Values: level when each fits its slot, else upright; the range leaves them room on top.
        let values: Vec<String> = self.bars.iter().map(|b| value_text(self.format, b.value)).collect();
        let mut level = true;
        let mut value_len = 0;
        for v in &values {
            let width = text_w(root, v, &value_font)?;
            level &= width <= slot - 4;
            value_len = value_len.max(width);
        }
        let room = if level { 16 } else { value_len } + GAP + 2;
        let plot_h = body_h - 2 * MARGIN as i32 - x_area as i32;
        let needed =
            if plot_h > room + 20 { data_top * f64::from(plot_h) / f64::from(plot_h - room) } else { data_top };
        let y_major = y_ticks(needed, self.format);
        let top = y_major.last().map_or(needed, |t| t.0).max(needed);
        let y_area = ticks_width(root, &y_major, &tick_font)?.max(guess_w) + Y_DESC;
        let y_layout = Layout::linear(0.0, top, y_major);
        let x_layout = Layout::linear(-0.5, n as f64 - 0.5, Vec::new());

        let mut cc = ChartBuilder::on(&body)
            .margin_top(MARGIN)
            .margin_left(MARGIN)
            .margin_bottom(MARGIN)
            .margin_right(MARGIN_RIGHT)
            .x_label_area_size(x_area)
            .y_label_area_size(y_area as u32)
            .build_cartesian_2d(x_layout.coord(), y_layout.coord())?;
        let y_fmt = |v: &f64| y_layout.label(*v);
        cc.configure_mesh()
            .disable_x_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .y_label_formatter(&y_fmt)
            .label_style(tick_font.clone())
            .axis_desc_style((FONT, 16).into_font().color(&BLACK))
            .bold_line_style(BLACK.mix(0.16))
            .light_line_style(BLACK.mix(0.06))
            .axis_style(BLACK.mix(0.8))
            .draw()?;

        let plotting = cc.plotting_area();
        // Bars, whiskers and labels are placed in pixels of the whole image.
        let at = |i: usize, v: f64| plotting.map_coordinate(&(i as f64, v));
        // The slots as built (the estimate above may be off by the tick labels' last few pixels).
        let slot = plotting.dim_in_pixel().0 as i32 / n;
        let width = (slot * 2 / 3).clamp(4, 110);
        let whisker = RGBColor(40, 40, 40);
        for (i, (b, text)) in self.bars.iter().zip(values).enumerate() {
            let (cx, base) = at(i, 0.0);
            let mut tip = base;
            if let Some(v) = b.value {
                // A zero still shows a sliver of its colour; its value says it is zero.
                let top = at(i, v).1.min(base - 2);
                let color = PALETTE[b.color % PALETTE.len()];
                root.draw(&Rectangle::new([(cx - width / 2, top), (cx - width / 2 + width, base)], color.filled()))?;
                tip = top;
            }
            if let Some((lo, hi)) = b.range {
                let (lo, hi) = (at(i, lo).1, at(i, hi).1);
                let cap = (width / 4).clamp(2, 10);
                root.draw(&PathElement::new(vec![(cx, lo), (cx, hi)], whisker.stroke_width(2)))?;
                root.draw(&PathElement::new(vec![(cx - cap, hi), (cx + cap, hi)], whisker.stroke_width(2)))?;
                root.draw(&PathElement::new(vec![(cx - cap, lo), (cx + cap, lo)], whisker.stroke_width(2)))?;
                tip = tip.min(hi);
            }
            let font = if b.value.is_some() { value_font.clone() } else { value_font.color(&RGBColor(110, 110, 110)) };
            let font = if level {
                font.pos(Pos::new(HPos::Center, VPos::Bottom))
            } else {
                font.transform(FontTransform::Rotate270).pos(Pos::new(HPos::Left, VPos::Center))
            };
            root.draw(&Text::new(text, (cx, tip - GAP), font))?;

            match &labels {
                Labels::Stacked { .. } => {
                    for (j, part) in b.label.iter().enumerate() {
                        let pos = (cx, base + 8 + LINE * j as i32);
                        root.draw(&Text::new(
                            part.text.clone(),
                            pos,
                            label_font.pos(Pos::new(HPos::Center, VPos::Top)),
                        ))?;
                    }
                }
                Labels::Grouped { bare, .. } => {
                    for (j, part) in b.label.iter().skip(1).enumerate() {
                        let pos = (cx, base + 8 + LINE * j as i32);
                        let text = if *bare { &part.value } else { &part.text };
                        root.draw(&Text::new(text.clone(), pos, label_font.pos(Pos::new(HPos::Center, VPos::Top))))?;
                    }
                }
                Labels::Upright { len } => {
                    let font = label_font.transform(FontTransform::Rotate270).pos(Pos::new(HPos::Right, VPos::Center));
                    root.draw(&Text::new(shorten(root, &joined(b), &label_font, *len)?, (cx, base + 8), font))?;
                }
            }
        }
        // Grouped labels: the first part once under each run of bars that share it, below a rule.
        if let Labels::Grouped { runs, inner, .. } = &labels {
            let base = at(0, 0.0).1;
            let y = base + 8 + LINE * inner + 2;
            for &(first, last) in runs {
                let (left, right) = (at(first, 0.0).0 - slot / 2 + 6, at(last, 0.0).0 + slot / 2 - 6);
                root.draw(&PathElement::new(vec![(left, y), (right, y)], RGBColor(120, 120, 120).stroke_width(1)))?;
                let name = self.bars[first].label.first().map(|p| p.text.clone()).unwrap_or_default();
                let pos = ((left + right) / 2, y + 5);
                root.draw(&Text::new(name, pos, label_font.pos(Pos::new(HPos::Center, VPos::Top))))?;
            }
        }
        Ok(())
    }
}

/// How the bars' labels are laid out under them.
enum Labels {
    /// One line per part under each bar, when every part fits its bar's slot.
    Stacked { lines: i32 },
    /// The later parts under each bar and the first once under each run of bars that share it,
    /// when the later parts fit a slot and the first fits its run; `bare` when the later parts
    /// fit only as values without their names (the axis description names them).
    Grouped { inner: i32, runs: Vec<(usize, usize)>, bare: bool },
    /// One upright line per bar (the parts joined), `len` pixels at most (cut short beyond).
    Upright { len: i32 },
}

impl Labels {
    fn choose<DB: DrawingBackend>(
        root: &DrawingArea<DB, Shift>,
        bars: &[Bar],
        slot: i32,
        upright_room: i32,
        font: &TextStyle,
    ) -> Result<Labels, DrawingAreaErrorKind<DB::ErrorType>> {
        let fits = |text: &str, room: i32| -> Result<bool, DrawingAreaErrorKind<DB::ErrorType>> {
            Ok(text_w(root, text, font)? <= room - 8)
        };
        let mut stacked = true;
        let mut inner = bars.iter().all(|b| b.label.len() >= 2);
        let mut short = inner;
        let (mut lines, mut len) = (1, 0);
        for b in bars {
            for (j, part) in b.label.iter().enumerate() {
                let fit = fits(&part.text, slot)?;
                stacked &= fit;
                if j > 0 {
                    inner &= fit;
                    short &= fits(&part.value, slot)?;
                }
            }
            lines = lines.max(b.label.len() as i32);
            len = len.max(text_w(root, &joined(b), font)?);
        }
        if stacked {
            return Ok(Labels::Stacked { lines });
        }
        if inner || short {
            let mut runs: Vec<(usize, usize)> = Vec::new();
            for (i, b) in bars.iter().enumerate() {
                match runs.last_mut() {
                    Some(run) if bars[run.0].label.first().map(|p| &p.text) == b.label.first().map(|p| &p.text) => {
                        run.1 = i
                    }
                    _ => runs.push((i, i)),
                }
            }
            let mut grouped = true;
            for &(first, last) in &runs {
                let name = bars[first].label.first().map(|p| p.text.as_str()).unwrap_or_default();
                grouped &= fits(name, slot * (last - first + 1) as i32)?;
            }
            if grouped {
                return Ok(Labels::Grouped { inner: lines - 1, runs, bare: !inner });
            }
        }
        Ok(Labels::Upright { len: len.min(upright_room.max(LINE)) })
    }

    /// Pixels they take under the axis.
    fn height(&self) -> i32 {
        match self {
            Labels::Stacked { lines } => lines * LINE,
            Labels::Grouped { inner, .. } => (inner + 1) * LINE + 8,
            Labels::Upright { len } => *len,
        }
    }
}

/// A bar's label on one line: "mm_lock / pin=false".
fn joined(b: &Bar) -> String {
    b.label.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join(" / ")
}

/// `text`, cut short with an ellipsis if it is wider than `max` pixels.
fn shorten<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    font: &TextStyle,
    max: i32,
) -> Result<String, DrawingAreaErrorKind<DB::ErrorType>> {
    if text_w(root, text, font)? <= max {
        return Ok(text.to_string());
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let short = format!("{}…", chars.iter().collect::<String>());
        if text_w(root, &short, font)? <= max {
            return Ok(short);
        }
    }
    Ok("…".to_string())
}

/// A bar's value in the metric's unit; "no samples" when no run had one.
fn value_text(format: Format, v: Option<f64>) -> String {
    match v {
        Some(v) => tick_label(format, v),
        None => "no samples".to_string(),
    }
}

/// Round ticks from zero up to at least `top`, in the unit the largest value reads in (so bytes
/// step by 1, 2 or 5 KiB or MiB); counts step by whole numbers.
fn y_ticks(top: f64, format: Format) -> Vec<(f64, String)> {
    let unit = match format {
        Format::Duration => ticks::time_unit(top).div,
        Format::Bytes => ticks::byte_unit(top).div,
        Format::Plain => 1.0,
    };
    let (step, _) = ticks::nice_step(top / unit, 5);
    let step = if format == Format::Plain { step.max(1.0) } else { step * unit };
    let last = libm::ceil(top / step - 1e-9);
    ticks::multiples(0.0, last * step, step).into_iter().map(|v| (v, tick_label(format, v))).collect()
}

fn text_w<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    font: &TextStyle,
) -> Result<i32, DrawingAreaErrorKind<DB::ErrorType>> {
    Ok(root.estimate_text_size(text, font)?.0 as i32)
}

fn ticks_width<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    ticks: &[(f64, String)],
    font: &TextStyle,
) -> Result<i32, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut w = 0;
    for t in ticks {
        w = w.max(text_w(root, &t.1, font)?);
    }
    Ok(w)
}

/// `text` broken between words into lines no wider than `max` pixels.
fn wrap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    font: &TextStyle,
    max: i32,
) -> Result<Vec<String>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let longer = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if !line.is_empty() && text_w(root, &longer, font)? > max {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = longer;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    Ok(lines)
}

/// Draws the legend in rows centred under the header from `y`; returns the height it took.
fn legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    names: &[String],
    y: i32,
) -> Result<i32, DrawingAreaErrorKind<DB::ErrorType>> {
    if names.is_empty() {
        return Ok(0);
    }
    let font: TextStyle = (FONT, 15).into_font().color(&BLACK);
    let (w, swatch, pad, gap) = (SIZE.0 as i32, 14, 6, 26);
    // Rows of (colour, name, width).
    let mut rows: Vec<Vec<(usize, String, i32)>> = vec![Vec::new()];
    let mut row_w = 0;
    for (i, name) in names.iter().enumerate() {
        let name = shorten(root, name, &font, 280)?;
        let item = swatch + pad + text_w(root, &name, &font)?;
        let last = rows.len() - 1;
        if !rows[last].is_empty() && row_w + gap + item > w - 40 {
            rows.push(Vec::new());
            row_w = 0;
        }
        let last = rows.len() - 1;
        row_w += if rows[last].is_empty() { item } else { gap + item };
        rows[last].push((i, name, item));
    }
    for (r, row) in rows.iter().enumerate() {
        let total: i32 = row.iter().map(|c| c.2).sum::<i32>() + gap * (row.len() as i32 - 1);
        let mut x = (w - total) / 2;
        let cy = y + 10 + LINE * r as i32;
        for (i, name, item) in row {
            let (i, item) = (*i, *item);
            let color = PALETTE[i % PALETTE.len()];
            root.draw(&Rectangle::new([(x, cy - swatch / 2), (x + swatch, cy + swatch / 2)], color.filled()))?;
            root.draw(&Text::new(name.clone(), (x + swatch + pad, cy), font.pos(Pos::new(HPos::Left, VPos::Center))))?;
            x += item + gap;
        }
    }
    Ok(LINE * rows.len() as i32 + 4)
}
