//! The briefing's charts, from the same figures as its text: which charts a briefing has
//! data for, the section each illustrates, and their files (SVG and PNG) in the report's
//! `charts/` folder.

use std::path::{Path, PathBuf};

use super::briefing::{Briefing, Section};
use super::charts::{Chart, render};
use crate::Result;
use crate::model::{Dimension, Grain, Level, Measure, Period, Source, months_back};

/// The section each chart closes.
fn section_of(name: &str) -> Section {
    match name {
        "trend" => Section::Overview,
        "topics" | "town_topic" => Section::Hot,
        "risk_levels" => Section::Risk,
        "clusters" => Section::Clusters,
        _ => Section::Quality,
    }
}

/// The charts this briefing has data for: (file name, chart).
pub fn charts(b: &Briefing) -> Vec<(&'static str, Chart)> {
    let mut out = vec![];
    let months = months_back(b.as_of, 12);
    let get = |period: &str, measure: Measure| {
        b.metrics
            .iter()
            .find(|r| {
                r.grain == Grain::Month
                    && r.period == period
                    && r.source == "all"
                    && r.dimension == Dimension::Total
                    && r.measure == measure
            })
            .and_then(|r| r.value)
    };
    let cases: Vec<f64> = months.iter().map(|m| get(m, Measure::Cases).unwrap_or(0.0)).collect();
    let people: Vec<f64> = months.iter().map(|m| get(m, Measure::People).unwrap_or(0.0)).collect();
    let mut series = vec![("批次".to_string(), cases), ("人次".to_string(), people)];
    let last_year: Vec<Option<f64>> = months
        .iter()
        .map(|m| {
            let y: i32 = m[..4].parse().unwrap_or(0);
            get(&format!("{}{}", y - 1, &m[4..]), Measure::Cases)
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
        .filter(|r| {
            r.grain == b.period.grain()
                && r.period == b.key
                && r.dimension == Dimension::Topic
                && r.measure == Measure::Cases
        })
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

    let series: Vec<(String, Vec<f64>)> = [Level::Red, Level::Orange, Level::Yellow]
        .iter()
        .map(|l| {
            (format!("{l}色"), months.iter().map(|m| b.risk_months.get(m).map_or(0.0, |v| v[l.index()])).collect())
        })
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
    let rates: Vec<(String, f64)> = Measure::PETITION_RATES
        .iter()
        .filter_map(|m| {
            b.metrics
                .iter()
                .find(|r| {
                    r.grain == Grain::Month
                        && r.period == month
                        && r.source == Source::Petition.as_str()
                        && r.dimension == Dimension::Total
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
                r.grain == Grain::Month
                    && r.period == month
                    && r.dimension == Dimension::TownRank
                    && r.measure == Measure::RankScore
            })
            .map(|r| {
                let town = |m: Measure| {
                    b.metrics
                        .iter()
                        .find(|x| {
                            x.grain == Grain::Month
                                && x.period == month
                                && x.dimension == Dimension::TownRank
                                && x.key == r.key
                                && x.measure == m
                        })
                        .and_then(|x| x.value)
                };
                let pos = town(Measure::Rank).unwrap_or(0.0);
                let label =
                    if town(Measure::RankLast) == Some(1.0) { format!("{}（末位）", r.key) } else { r.key.clone() };
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

/// Render the charts into `dir` (SVG and PNG); returns each chart's name, section and PNG.
pub fn render_all(b: &Briefing, dir: &Path) -> Result<Vec<(&'static str, Section, PathBuf)>> {
    charts(b).into_iter().map(|(name, c)| render(&c, dir, name).map(|p| (name, section_of(name), p))).collect()
}
