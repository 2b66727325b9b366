//! Charts for the briefing (plotters), as SVG and PNG, with Chinese titles, axes and
//! labels. PNG text is drawn from a CJK font file (`MINQING_CJK_FONT`, else Debian's
//! WenQuanYi Micro Hei that `scripts/setup.sh` installs); with no such font the charts are
//! an error, never boxes. SVG keeps text as text with a CJK font-family list. Sized for A4:
//! 1600 × 900 pixels, 28-pixel labels.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::{Error, Result};

/// The family the font is registered under (and named in SVG).
pub const FAMILY: &str = "WenQuanYi Micro Hei";
/// What SVG viewers are asked for, in order.
const SVG_FAMILIES: &str = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', SimHei, sans-serif";
const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
];
pub const SIZE: (u32, u32) = (1600, 900);

static FONT: OnceLock<std::result::Result<(PathBuf, &'static [u8]), String>> = OnceLock::new();

/// Find and register the CJK font once; its path and bytes.
pub fn ensure_font() -> Result<(PathBuf, &'static [u8])> {
    FONT.get_or_init(|| {
        let candidates: Vec<PathBuf> = std::env::var_os("MINQING_CJK_FONT")
            .map(PathBuf::from)
            .into_iter()
            .chain(FONT_PATHS.iter().map(PathBuf::from))
            .collect();
        let path = candidates.into_iter().find(|p| p.exists()).ok_or_else(|| {
            format!("no CJK font found (tried MINQING_CJK_FONT and {}): run scripts/setup.sh, which installs fonts-wqy-microhei", FONT_PATHS.join(", "))
        })?;
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        for style in [FontStyle::Normal, FontStyle::Bold] {
            plotters::style::register_font(FAMILY, style, bytes).map_err(|_| format!("{} is not a font file", path.display()))?;
        }
        Ok((path, bytes))
    })
    .clone()
    .map_err(Error::Usage)
}

/// One chart's data.
#[derive(Debug, Clone)]
pub enum Chart {
    /// Lines over periods: (series name, values aligned with `labels`).
    Lines { title: String, y: String, labels: Vec<String>, series: Vec<(String, Vec<f64>)> },
    /// Bars: (label, value), drawn top to bottom; an optional target per bar is drawn as a red mark.
    Bars { title: String, x: String, bars: Vec<(String, f64)>, targets: Vec<Option<f64>> },
    /// Stacked columns over periods: (series name, values aligned with `labels`).
    Stacked { title: String, y: String, labels: Vec<String>, series: Vec<(String, Vec<f64>)> },
    /// A grid of counts: rows × columns.
    Heatmap { title: String, rows: Vec<String>, cols: Vec<String>, values: Vec<Vec<f64>> },
}

const COLORS: [RGBColor; 6] = [
    RGBColor(192, 0, 0),
    RGBColor(31, 78, 121),
    RGBColor(237, 125, 49),
    RGBColor(112, 173, 71),
    RGBColor(255, 192, 0),
    RGBColor(91, 155, 213),
];

fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().into()
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    chart: &Chart,
) -> std::result::Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    match chart {
        Chart::Lines { title, y, labels, series } | Chart::Stacked { title, y, labels, series } => {
            let stacked = matches!(chart, Chart::Stacked { .. });
            let top = if stacked {
                (0..labels.len())
                    .map(|i| series.iter().map(|(_, v)| v.get(i).copied().unwrap_or(0.0)).sum::<f64>())
                    .fold(0.0, f64::max)
            } else {
                series.iter().flat_map(|(_, v)| v.iter().copied()).fold(0.0, f64::max)
            };
            let mut c = ChartBuilder::on(&root)
                .caption(title, font(40))
                .margin(20)
                .x_label_area_size(70)
                .y_label_area_size(100)
                .build_cartesian_2d((0..labels.len().saturating_sub(1)).into_segmented(), 0.0..(top * 1.15).max(1.0))
                .map_err(e)?;
            let l = labels.clone();
            c.configure_mesh()
                .disable_x_mesh()
                .x_label_style(font(24))
                .y_label_style(font(24))
                .y_label_formatter(&|v| format!("{v:.0}"))
                .y_desc(y.as_str())
                .axis_desc_style(font(28))
                .x_labels(labels.len())
                .x_label_formatter(&move |v| match v {
                    SegmentValue::CenterOf(i) => l.get(*i).cloned().unwrap_or_default(),
                    _ => String::new(),
                })
                .draw()
                .map_err(e)?;
            let mut base = vec![0.0; labels.len()];
            for (k, (name, v)) in series.iter().enumerate() {
                let color = COLORS[k % COLORS.len()];
                if stacked {
                    let bars: Vec<_> = (0..labels.len())
                        .map(|i| {
                            let (lo, hi) = (base[i], base[i] + v.get(i).copied().unwrap_or(0.0));
                            base[i] = hi;
                            Rectangle::new(
                                [(SegmentValue::Exact(i), lo), (SegmentValue::Exact(i + 1), hi)],
                                color.filled(),
                            )
                        })
                        .collect();
                    c.draw_series(bars)
                        .map_err(e)?
                        .label(name.as_str())
                        .legend(move |(x, y)| Rectangle::new([(x, y - 8), (x + 20, y + 8)], color.filled()));
                } else {
                    let pts: Vec<_> = v.iter().enumerate().map(|(i, &y)| (SegmentValue::CenterOf(i), y)).collect();
                    c.draw_series(LineSeries::new(pts.clone(), color.stroke_width(4)))
                        .map_err(e)?
                        .label(name.as_str())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 30, y)], color.stroke_width(4)));
                    c.draw_series(pts.into_iter().map(|p| Circle::new(p, 6, color.filled()))).map_err(e)?;
                }
            }
            c.configure_series_labels()
                .label_font(font(26))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .map_err(e)?;
        }
        Chart::Bars { title, x, bars, targets } => {
            let top = bars.iter().map(|b| b.1).chain(targets.iter().flatten().copied()).fold(0.0, f64::max);
            let n = bars.len().max(1);
            let mut c = ChartBuilder::on(&root)
                .caption(title, font(40))
                .margin(20)
                .x_label_area_size(70)
                .y_label_area_size(420)
                .build_cartesian_2d(0.0..(top * 1.15).max(1.0), (0..n - 1).into_segmented())
                .map_err(e)?;
            let names: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
            c.configure_mesh()
                .disable_y_mesh()
                .x_label_style(font(24))
                .y_label_style(font(24))
                .x_label_formatter(&|v| format!("{v:.0}"))
                .x_desc(x.as_str())
                .axis_desc_style(font(28))
                .y_labels(n)
                .y_label_formatter(&move |v| match v {
                    // first bar at the top
                    SegmentValue::CenterOf(i) => {
                        n.checked_sub(1 + *i).and_then(|k| names.get(k)).cloned().unwrap_or_default()
                    }
                    _ => String::new(),
                })
                .draw()
                .map_err(e)?;
            c.draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                let row = n - 1 - i;
                let mut r = Rectangle::new(
                    [(0.0, SegmentValue::Exact(row)), (*v, SegmentValue::Exact(row + 1))],
                    COLORS[1].filled(),
                );
                r.set_margin(6, 6, 0, 0);
                r
            }))
            .map_err(e)?;
            c.draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                Text::new(format!("{v}"), (*v + top * 0.01, SegmentValue::CenterOf(n - 1 - i)), font(24))
            }))
            .map_err(e)?;
            if targets.iter().any(Option::is_some) {
                let marks: Vec<PathElement<(f64, SegmentValue<usize>)>> = targets
                    .iter()
                    .enumerate()
                    .filter_map(|(i, t)| {
                        let (t, row) = ((*t)?, n - 1 - i);
                        Some(PathElement::new(
                            vec![(t, SegmentValue::Exact(row)), (t, SegmentValue::Exact(row + 1))],
                            COLORS[0].stroke_width(5),
                        ))
                    })
                    .collect();
                c.draw_series(marks).map_err(e)?.label("考核目标").legend(|(x, y)| {
                    PathElement::new(vec![(x + 10, y - 10), (x + 10, y + 10)], COLORS[0].stroke_width(5))
                });
            }
            if targets.iter().any(Option::is_some) {
                c.configure_series_labels()
                    .label_font(font(26))
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .position(SeriesLabelPosition::LowerRight)
                    .draw()
                    .map_err(e)?;
            }
        }
        Chart::Heatmap { title, rows, cols, values } => {
            let top = values.iter().flatten().copied().fold(0.0, f64::max).max(1.0);
            let (nr, nc) = (rows.len().max(1), cols.len().max(1));
            let mut c = ChartBuilder::on(&root)
                .caption(title, font(40))
                .margin(20)
                .x_label_area_size(70)
                .y_label_area_size(160)
                .build_cartesian_2d((0..nc - 1).into_segmented(), (0..nr - 1).into_segmented())
                .map_err(e)?;
            let (cl, rl) = (cols.clone(), rows.clone());
            c.configure_mesh()
                .disable_mesh()
                .x_label_style(font(22))
                .y_label_style(font(22))
                .x_labels(nc)
                .y_labels(nr)
                .x_label_formatter(&move |v| match v {
                    SegmentValue::CenterOf(i) => cl.get(*i).cloned().unwrap_or_default(),
                    _ => String::new(),
                })
                .y_label_formatter(&move |v| match v {
                    SegmentValue::CenterOf(i) => {
                        nr.checked_sub(1 + *i).and_then(|k| rl.get(k)).cloned().unwrap_or_default()
                    }
                    _ => String::new(),
                })
                .draw()
                .map_err(e)?;
            for (r, row) in values.iter().enumerate() {
                for (k, &v) in row.iter().enumerate() {
                    let t = v / top;
                    let color = RGBColor(255, (255.0 * (1.0 - 0.8 * t)) as u8, (255.0 * (1.0 - 0.9 * t)) as u8);
                    let y = nr - 1 - r;
                    c.draw_series(std::iter::once(Rectangle::new(
                        [
                            (SegmentValue::Exact(k), SegmentValue::Exact(y)),
                            (SegmentValue::Exact(k + 1), SegmentValue::Exact(y + 1)),
                        ],
                        color.filled(),
                    )))
                    .map_err(e)?;
                    if v > 0.0 {
                        c.draw_series(std::iter::once(Text::new(
                            format!("{v}"),
                            (SegmentValue::CenterOf(k), SegmentValue::CenterOf(y)),
                            font(20),
                        )))
                        .map_err(e)?;
                    }
                }
            }
        }
    }
    root.present().map_err(e)?;
    Ok(())
}

/// Every piece of text a chart draws.
fn texts(chart: &Chart) -> Vec<&str> {
    let mut out = vec![];
    match chart {
        Chart::Lines { title, y, labels, series } | Chart::Stacked { title, y, labels, series } => {
            out.extend([title.as_str(), y.as_str()]);
            out.extend(labels.iter().map(String::as_str));
            out.extend(series.iter().map(|s| s.0.as_str()));
        }
        Chart::Bars { title, x, bars, .. } => {
            out.extend([title.as_str(), x.as_str(), "考核目标"]);
            out.extend(bars.iter().map(|b| b.0.as_str()));
        }
        Chart::Heatmap { title, rows, cols, .. } => {
            out.push(title.as_str());
            out.extend(rows.iter().chain(cols).map(String::as_str));
        }
    }
    out
}

/// Characters of the chart's text the font has no glyph for (they would draw as boxes).
pub fn missing_glyphs(chart: &Chart, font: &[u8]) -> Result<Vec<char>> {
    use ab_glyph::Font;
    let f = ab_glyph::FontRef::try_from_slice_and_index(font, 0)
        .map_err(|_| Error::Output("the CJK font file cannot be read".into()))?;
    let mut missing: Vec<char> =
        texts(chart).iter().flat_map(|t| t.chars()).filter(|c| !c.is_whitespace() && f.glyph_id(*c).0 == 0).collect();
    missing.sort_unstable();
    missing.dedup();
    Ok(missing)
}

/// Write `name.svg` and `name.png` into `dir`; returns the PNG's path. A character the
/// font cannot draw is an error naming it, not a box in a leader's chart.
pub fn render(chart: &Chart, dir: &Path, name: &str) -> Result<PathBuf> {
    let (font_path, bytes) = ensure_font()?;
    let missing = missing_glyphs(chart, bytes)?;
    if !missing.is_empty() {
        return Err(Error::Output(format!(
            "chart {name}: the font {} has no glyph for {}; set MINQING_CJK_FONT to a font that has",
            font_path.display(),
            missing.iter().map(|c| format!("「{c}」U+{:04X}", *c as u32)).collect::<Vec<_>>().join(" ")
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let png = dir.join(format!("{name}.png"));
    draw(BitMapBackend::new(&png, SIZE).into_drawing_area(), chart)
        .map_err(|e| Error::Output(format!("chart {name}: {e}")))?;
    let mut svg = String::new();
    draw(SVGBackend::with_string(&mut svg, SIZE).into_drawing_area(), chart)
        .map_err(|e| Error::Output(format!("chart {name}: {e}")))?;
    let svg = svg.replace(&format!("font-family=\"{FAMILY}\""), &format!("font-family=\"{SVG_FAMILIES}\""));
    let path = dir.join(format!("{name}.svg"));
    std::fs::write(&path, svg).map_err(|e| Error::io(&path, e))?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(title: &str) -> Chart {
        Chart::Bars { title: title.into(), x: "件数".into(), bars: vec![("房地产".into(), 3.0)], targets: vec![] }
    }

    #[test]
    fn chinese_labels_have_glyphs_and_a_missing_one_is_named() {
        let (_, font) = ensure_font().expect("scripts/setup.sh installs a CJK font");
        assert!(missing_glyphs(&bars("近12个月诉求量（批次、人次）"), font).unwrap().is_empty());
        assert_eq!(missing_glyphs(&bars("诉求\u{E000}"), font).unwrap(), vec!['\u{E000}']);
        let dir = tempfile::tempdir().unwrap();
        let err = render(&bars("诉求\u{E000}"), dir.path(), "x").unwrap_err().to_string();
        assert!(err.contains("U+E000"), "{err}");
        let png = render(&bars("领域分布"), dir.path(), "ok").unwrap();
        assert!(png.exists() && dir.path().join("ok.svg").exists());
        let svg = std::fs::read_to_string(dir.path().join("ok.svg")).unwrap();
        assert!(svg.contains("领域分布") && svg.contains("Noto Sans CJK SC"), "SVG keeps text with a CJK font list");
    }
}
