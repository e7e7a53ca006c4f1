//! Small multiples: one small step chart per run on one shared value scale, for series that
//! would tangle on a single time axis (vmalloc use across the points of a sweep).

use crate::render::{self, Axis, DrawResult, Figure, Format, Pen, Scale, FONT, PALETTE};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub struct Panel {
    pub title: String,
    /// Joined by straight segments.
    pub line: Vec<(f64, f64)>,
    /// Index into the palette.
    pub color: usize,
}

pub struct Panels {
    /// File name without extension.
    pub name: String,
    pub title: String,
    /// What the axes are, said once under the title.
    pub subtitle: String,
    pub y_format: Format,
    pub panels: Vec<Panel>,
}

/// Columns of the grid for `n` panels.
fn columns(n: usize) -> usize {
    match n {
        0..=3 => n.max(1),
        4 => 2,
        5 | 6 | 9 => 3,
        _ => 4,
    }
}

impl Figure for Panels {
    fn name(&self) -> &str {
        &self.name
    }

    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, pen: Pen) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let area = root.titled(&self.title, (FONT, 22).into_font().color(&BLACK))?;
        let (sub, grid) = area.split_vertically(26);
        let sub_font: TextStyle = (FONT, 15).into_font().color(&RGBColor(70, 70, 70));
        let w = sub.dim_in_pixel().0 as i32;
        sub.draw(&Text::new(self.subtitle.clone(), (w / 2, 4), sub_font.pos(Pos::new(HPos::Center, VPos::Top))))?;

        let cols = columns(self.panels.len());
        let rows = self.panels.len().div_ceil(cols);
        let cells = grid.split_evenly((rows, cols));
        // One value scale for every panel, so heights compare across them.
        let y_axis =
            Axis { label: String::new(), scale: Scale::Linear, format: self.y_format, ticks: None, from_zero: true };
        let y = render::layout_with(&y_axis, self.panels.iter().flat_map(|p| p.line.iter().map(|q| q.1)), 4);
        let tick_font: TextStyle = (FONT, 12).into_font().color(&BLACK);
        let mut y_labels_w = 0;
        for l in y.tick_labels() {
            y_labels_w = y_labels_w.max(root.estimate_text_size(l, &tick_font)?.0);
        }
        for (panel, cell) in self.panels.iter().zip(&cells) {
            let x_axis = Axis {
                label: String::new(),
                scale: Scale::Linear,
                format: Format::Plain,
                ticks: None,
                from_zero: true,
            };
            let x = render::layout_with(&x_axis, panel.line.iter().map(|q| q.0), 4);
            let mut cc = ChartBuilder::on(cell)
                .caption(&panel.title, (FONT, 14).into_font().color(&BLACK))
                .margin(6)
                .margin_right(14)
                .x_label_area_size(22)
                .y_label_area_size(y_labels_w + 8)
                .build_cartesian_2d(x.coord(), y.coord())?;
            let x_fmt = |v: &f64| x.label(*v);
            let y_fmt = |v: &f64| y.label(*v);
            cc.configure_mesh()
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&y_fmt)
                .label_style(tick_font.clone())
                .bold_line_style(BLACK.mix(0.16))
                .light_line_style(BLACK.mix(0.06))
                .axis_style(BLACK.mix(0.8))
                .draw()?;
            let plotting = cc.plotting_area();
            let line = render::simplify(
                panel.line.iter().map(|&(a, b)| plotting.map_coordinate(&(x.map(a), y.map(b)))).collect(),
            );
            render::draw_line(root, pen, panel.color, &line, PALETTE[panel.color % PALETTE.len()])?;
        }
        Ok(())
    }
}
