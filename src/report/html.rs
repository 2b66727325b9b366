//! The briefing's charts (from the same figures as its text) and the self-contained
//! `briefing.html`: the markdown turned into HTML in the house style of official
//! documents (黑体 headings, 仿宋 body), charts inlined as PNG data.

use std::path::{Path, PathBuf};

use base64::Engine;

use super::briefing::Briefing;
use super::charts::{Chart, render};
use crate::pipeline::config::Period;
use crate::{Error, Result};

/// Chart names, each placed after the section it illustrates.
pub const SECTIONS: &[(&str, &[&str])] = &[
    ("一、总体情况", &["trend"]),
    ("二、热点问题", &["topics", "town_topic"]),
    ("四、风险研判", &["risk_levels"]),
    ("五、类案", &["clusters"]),
    ("六、工作质效", &["rates", "ranking"]),
];

fn months_back(as_of: chrono::NaiveDate, n: i32) -> Vec<String> {
    use chrono::Datelike;
    (0..n)
        .rev()
        .map(|k| {
            let m = as_of.year() * 12 + as_of.month0() as i32 - k;
            format!("{}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
        })
        .collect()
}

/// The charts this briefing has data for: (file name, chart).
pub fn charts(b: &Briefing) -> Vec<(&'static str, Chart)> {
    let mut out = vec![];
    let months = months_back(b.as_of, 12);
    let get = |period: &str, measure: &str| {
        b.metrics
            .iter()
            .find(|r| {
                r.grain == "month"
                    && r.period == period
                    && r.source == "all"
                    && r.dimension == "total"
                    && r.measure == measure
            })
            .and_then(|r| r.value)
    };
    let cases: Vec<f64> = months.iter().map(|m| get(m, "批次").unwrap_or(0.0)).collect();
    let people: Vec<f64> = months.iter().map(|m| get(m, "人次").unwrap_or(0.0)).collect();
    let mut series = vec![("批次".to_string(), cases), ("人次".to_string(), people)];
    let last_year: Vec<Option<f64>> = months
        .iter()
        .map(|m| {
            let y: i32 = m[..4].parse().unwrap_or(0);
            get(&format!("{}{}", y - 1, &m[4..]), "批次")
        })
        .collect();
    if last_year.iter().any(Option::is_some) {
        series.push(("去年同期批次".into(), last_year.into_iter().map(|v| v.unwrap_or(0.0)).collect()));
    }
    let labels: Vec<String> = months.iter().map(|m| format!("{}月", m[5..].trim_start_matches('0'))).collect();
    out.push((
        "trend",
        Chart::Lines {
            title: "近12个月诉求量（批次、人次）".into(),
            y: "件 / 人次".into(),
            labels: labels.clone(),
            series,
        },
    ));

    let mut topics: Vec<(String, f64)> = b
        .metrics
        .iter()
        .filter(|r| r.grain == b.period.grain() && r.period == b.key && r.dimension == "topic" && r.measure == "批次")
        .map(|r| (r.key.clone(), r.value.unwrap_or(0.0)))
        .collect();
    topics.sort_by(|a, c| c.1.total_cmp(&a.1).then(a.0.cmp(&c.0)));
    topics.truncate(10);
    if !topics.is_empty() {
        out.push((
            "topics",
            Chart::Bars {
                title: format!("{}诉求领域分布", b.period.name()),
                x: "件数".into(),
                bars: topics,
                targets: vec![],
            },
        ));
    }

    let mut towns: Vec<(String, f64)> = vec![];
    let mut topic_totals: std::collections::BTreeMap<&str, f64> = Default::default();
    for ((town, topic), n) in &b.town_topic {
        if let Some(t) = towns.iter_mut().find(|t| &t.0 == town) {
            t.1 += n;
        } else {
            towns.push((town.clone(), *n));
        }
        *topic_totals.entry(topic).or_default() += n;
    }
    towns.sort_by(|a, c| c.1.total_cmp(&a.1).then(a.0.cmp(&c.0)));
    towns.truncate(12);
    let mut cols: Vec<(&str, f64)> = topic_totals.into_iter().collect();
    cols.sort_by(|a, c| c.1.total_cmp(&a.1).then(a.0.cmp(c.0)));
    cols.truncate(8);
    if !towns.is_empty() {
        let values = towns
            .iter()
            .map(|(t, _)| {
                cols.iter()
                    .map(|(c, _)| b.town_topic.get(&(t.clone(), c.to_string())).copied().unwrap_or(0.0))
                    .collect()
            })
            .collect();
        out.push((
            "town_topic",
            Chart::Heatmap {
                title: format!("{}属地 × 领域", b.period.name()),
                rows: towns.into_iter().map(|t| t.0).collect(),
                cols: cols.into_iter().map(|c| c.0.to_string()).collect(),
                values,
            },
        ));
    }

    let levels = ["红", "橙", "黄"];
    let series: Vec<(String, Vec<f64>)> = levels
        .iter()
        .enumerate()
        .map(|(k, l)| (format!("{l}色"), months.iter().map(|m| b.risk_months.get(m).map_or(0.0, |v| v[k])).collect()))
        .collect();
    out.push((
        "risk_levels",
        Chart::Stacked { title: "近12个月红橙黄风险件数".into(), y: "件".into(), labels, series },
    ));

    if !b.clusters.is_empty() {
        let bars = b.clusters.iter().take(10).map(|c| (c.title.clone(), c.heat)).collect();
        out.push(("clusters", Chart::Bars { title: "类案热度前十".into(), x: "热度".into(), bars, targets: vec![] }));
    }

    let month = b.as_of.format("%Y-%m").to_string();
    let rates: Vec<(String, f64)> = crate::metrics::rates::PETITION_RATES
        .iter()
        .filter_map(|m| {
            b.metrics
                .iter()
                .find(|r| {
                    r.grain == "month"
                        && r.period == month
                        && r.source == "petition"
                        && r.dimension == "total"
                        && r.measure == *m
                })
                .and_then(|r| r.value)
                .map(|v| (m.to_string(), (v * 1000.0).round() / 10.0))
        })
        .collect();
    if !rates.is_empty() {
        let targets = rates.iter().map(|(m, _)| b.targets.iter().find(|(t, _)| t == m).map(|t| t.1)).collect();
        let title = format!("{}月信访工作指标与考核目标（%）", b.as_of.format("%-m"));
        out.push(("rates", Chart::Bars { title, x: "%".into(), bars: rates, targets }));
    }
    if b.period == Period::Month {
        let mut rank: Vec<(f64, String, f64)> = b
            .metrics
            .iter()
            .filter(|r| {
                r.grain == "month" && r.period == month && r.dimension == "town_rank" && r.measure == "站队得分"
            })
            .map(|r| {
                let town = |m: &str| {
                    b.metrics
                        .iter()
                        .find(|x| {
                            x.grain == "month"
                                && x.period == month
                                && x.dimension == "town_rank"
                                && x.key == r.key
                                && x.measure == m
                        })
                        .and_then(|x| x.value)
                };
                let pos = town("名次").unwrap_or(0.0);
                let label = if town("末位") == Some(1.0) { format!("{}（末位）", r.key) } else { r.key.clone() };
                (pos, label, r.value.unwrap_or(0.0))
            })
            .collect();
        rank.sort_by(|a, c| a.0.total_cmp(&c.0));
        if !rank.is_empty() {
            let bars = rank.into_iter().map(|(_, t, v)| (t, v)).collect();
            out.push((
                "ranking",
                Chart::Bars { title: "乡镇月站队得分".into(), x: "得分".into(), bars, targets: vec![] },
            ));
        }
    }
    out
}

/// Render the charts into `dir` (SVG and PNG); returns (name, PNG path).
pub fn render_all(b: &Briefing, dir: &Path) -> Result<Vec<(&'static str, PathBuf)>> {
    charts(b).into_iter().map(|(name, c)| render(&c, dir, name).map(|p| (name, p))).collect()
}

/// The markdown with chart images after their sections (`charts/<name>.png`).
pub fn with_charts(md: &str, rendered: &[(&str, PathBuf)]) -> String {
    let mut out = String::new();
    let mut pending: Vec<&str> = vec![];
    let flush = |out: &mut String, pending: &mut Vec<&str>| {
        for name in pending.drain(..) {
            out.push_str(&format!("![{name}](charts/{name}.png)\n\n"));
        }
    };
    for line in md.lines() {
        if line.starts_with("## ") {
            flush(&mut out, &mut pending);
            if let Some((_, names)) = SECTIONS.iter().find(|(s, _)| line.ends_with(s)) {
                pending.extend(names.iter().copied().filter(|n| rendered.iter().any(|(r, _)| r == n)));
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    flush(&mut out, &mut pending);
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const STYLE: &str = "body{max-width:210mm;margin:0 auto;padding:20mm 18mm;font-family:FangSong,'FangSong_GB2312',STFangsong,'WenQuanYi Micro Hei','Noto Sans CJK SC',serif;font-size:16pt;line-height:1.75;color:#000;background:#fff}\
h1{font-family:'SimHei','Heiti SC','WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif;font-size:22pt;text-align:center;color:#c00000;border-bottom:2px solid #c00000;padding-bottom:8pt}\
h2{font-family:'SimHei','Heiti SC','WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif;font-size:16pt;margin:18pt 0 6pt}\
p{text-indent:2em;margin:6pt 0}table{border-collapse:collapse;width:100%;font-size:11pt;margin:8pt 0}\
th,td{border:1px solid #555;padding:3pt 5pt;text-align:left}th{background:#ddebf7}img{width:100%;margin:6pt 0}li{margin:3pt 0}";

/// Self-contained HTML: `charts/<name>.png` images read from `dir` and inlined.
pub fn to_html(title: &str, md: &str, dir: &Path) -> Result<String> {
    let mut body = String::new();
    let mut table: Vec<Vec<String>> = vec![];
    let mut list: Option<&str> = None;
    let close_table = |body: &mut String, table: &mut Vec<Vec<String>>| {
        if table.is_empty() {
            return;
        }
        body.push_str("<table>\n");
        for (i, row) in table.iter().enumerate() {
            let tag = if i == 0 { "th" } else { "td" };
            body.push_str("<tr>");
            for c in row {
                body.push_str(&format!("<{tag}>{}</{tag}>", esc(c)));
            }
            body.push_str("</tr>\n");
        }
        body.push_str("</table>\n");
        table.clear();
    };
    for line in md.lines() {
        let t = line.trim();
        if t.starts_with('|') {
            let cells: Vec<String> = t.trim_matches('|').split('|').map(|c| c.trim().to_string()).collect();
            if !cells.iter().all(|c| c.chars().all(|ch| ch == '-' || ch == ':') && !c.is_empty()) {
                table.push(cells);
            }
            continue;
        }
        close_table(&mut body, &mut table);
        let item = t.strip_prefix("- ").map(|x| ("ul", x)).or_else(|| {
            let (n, rest) = t.split_once(". ")?;
            n.chars().all(|c| c.is_ascii_digit()).then_some(("ol", rest))
        });
        if list.is_some() && item.is_none_or(|(k, _)| Some(k) != list) {
            body.push_str(&format!("</{}>\n", list.take().expect("open list")));
        }
        if let Some((kind, text)) = item {
            if list.is_none() {
                body.push_str(&format!("<{kind}>\n"));
                list = Some(kind);
            }
            body.push_str(&format!("<li>{}</li>\n", esc(text)));
        } else if let Some(h) = t.strip_prefix("## ") {
            body.push_str(&format!("<h2>{}</h2>\n", esc(h)));
        } else if let Some(h) = t.strip_prefix("# ") {
            body.push_str(&format!("<h1>{}</h1>\n", esc(h)));
        } else if let Some(rest) = t.strip_prefix("![") {
            let (alt, src) = rest.split_once("](").map(|(a, s)| (a, s.trim_end_matches(')'))).unwrap_or(("", ""));
            let path = dir.join(src);
            let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            let data = base64::engine::general_purpose::STANDARD.encode(bytes);
            body.push_str(&format!("<img alt=\"{}\" src=\"data:image/png;base64,{data}\">\n", esc(alt)));
        } else if !t.is_empty() {
            body.push_str(&format!("<p>{}</p>\n", esc(t)));
        }
    }
    close_table(&mut body, &mut table);
    if let Some(k) = list {
        body.push_str(&format!("</{k}>\n"));
    }
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        esc(title)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_html() {
        let md = "# 标题\n\n段落<b>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n1. 一\n2. 二\n- 甲\n";
        let html = to_html("t", md, Path::new(".")).unwrap();
        assert!(html.contains("<h1>标题</h1>"));
        assert!(html.contains("<p>段落&lt;b&gt;</p>"));
        assert!(html.contains("<tr><th>a</th><th>b</th></tr>\n<tr><td>1</td><td>2</td></tr>"));
        assert!(html.contains("<ol>\n<li>一</li>\n<li>二</li>\n</ol>\n<ul>\n<li>甲</li>\n</ul>"));
    }
}
