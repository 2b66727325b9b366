//! The briefing (社情民意 简报) as analysts write it: 总体情况, 热点问题, 新动向, 风险研判, 类案,
//! 工作质效, 工作建议. Every number is read from a warehouse table of the same run
//! (`metrics`, `risk`, `risk_groups`, `clusters`) — never recomputed here — so the text
//! and `minqing sql` agree. `Briefing` holds the figures; `document` lays them out as
//! blocks that `report::document`, `html` and `docx` render.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::Result;
use crate::facts::columns::{Columns, text, texts, time};
use crate::facts::tables::{ClusterRow, read_clusters, read_groups, read_metrics, read_risk};
use crate::model::{
    ClusterKind, Dimension, Grain, Level, MANY_ONE, Measure, Metric, ONE_MANY, Period, Rate, Source, UNKNOWN,
    entity_name, month_key, months_back, percent, ratio,
};
use crate::report::document::{Block, Document};
use crate::schema::table;
use crate::warehouse::{Warehouse, read_table};

/// The sections of a briefing, in order: where a chart goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// 一、总体情况
    Overview,
    /// 二、热点问题
    Hot,
    /// 三、新动向
    Trends,
    /// 四、风险研判
    Risk,
    /// 五、类案
    Clusters,
    /// 六、工作质效
    Quality,
    /// 七、工作建议
    Advice,
}

/// A risk case for the list.
#[derive(Debug, Clone)]
pub struct RiskCase {
    pub case_id: String,
    pub topic: String,
    pub town: String,
    pub score: i64,
    pub level: Level,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RiskGroup {
    pub key: String,
    pub cases: i64,
    pub score: i64,
    pub path: String,
}

/// Everything the briefing says, read from the tables.
#[derive(Debug, Clone)]
pub struct Briefing {
    pub title: String,
    pub period: Period,
    pub key: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub as_of: NaiveDate,
    pub metrics: Vec<Metric>,
    pub risks: Vec<RiskCase>,
    pub red: usize,
    pub orange: usize,
    pub red_groups: Vec<RiskGroup>,
    pub clusters: Vec<ClusterRow>,
    /// Cases per month and level (红, 橙, 黄, 蓝) from `risk`, the 12 months ending with the as-of month.
    pub risk_months: BTreeMap<String, [f64; 4]>,
    /// Cases of the period per (town, topic), from `risk`.
    pub town_topic: BTreeMap<(String, String), f64>,
    /// Rate targets in percent from the pipeline file (考核目标).
    pub targets: Vec<(String, f64)>,
    /// The replies given in the period, from `reply_review`.
    pub replies: ReplyQuality,
    /// Petitioners with two matters or more (一人多诉).
    pub one_many: usize,
    /// Entities with three petitioners or more (多人同诉): (entity, petitioners, cases), most petitioners first.
    pub many_one: Vec<(String, i64, i64)>,
}

/// 答复质量 of the replies given in the period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplyQuality {
    pub replies: usize,
    pub flagged: usize,
    pub mean_score: f64,
    /// (flag, replies), most first.
    pub by_flag: Vec<(String, usize)>,
    /// (department, flagged, replies) with at least `MIN_DEPT_REPLIES`, highest share flagged first.
    pub worst_depts: Vec<(String, usize, usize)>,
}

/// A department is ranked on reply quality from this many replies in the period.
const MIN_DEPT_REPLIES: usize = 3;

/// The five departments with the highest share of flagged replies (more flagged first on a
/// tie), from (flagged, replies) per department; none with fewer than `MIN_DEPT_REPLIES`.
fn worst_depts(depts: BTreeMap<String, (usize, usize)>) -> Vec<(String, usize, usize)> {
    let mut w: Vec<(String, usize, usize)> =
        depts.into_iter().filter(|(_, (f, n))| *n >= MIN_DEPT_REPLIES && *f > 0).map(|(d, (f, n))| (d, f, n)).collect();
    w.sort_by(|a, b| (b.1 * a.2).cmp(&(a.1 * b.2)).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
    w.truncate(5);
    w
}

impl ReplyQuality {
    fn gather(wh: &Warehouse, start: NaiveDate, end: NaiveDate) -> Result<ReplyQuality> {
        use crate::schema::reply_review as rr;
        let mut q = ReplyQuality::default();
        let (mut total, mut flags, mut depts) =
            (0.0, BTreeMap::<String, usize>::new(), BTreeMap::<String, (usize, usize)>::new());
        for b in read_table(wh, table::REPLY_REVIEW)? {
            let c = Columns::new(&b, table::REPLY_REVIEW);
            let (replied, flag_lists, score, dept) =
                (c.time(rr::REPLIED_AT)?, c.list(rr::FLAGS)?, c.int(rr::SCORE)?, c.str(rr::DEPT)?);
            for i in 0..c.rows() {
                if !time(replied, i).is_some_and(|t| t.date() >= start && t.date() <= end) {
                    continue;
                }
                let f: Vec<String> = texts(flag_lists, i);
                let flagged = f.iter().any(|x| x != "不完整");
                q.replies += 1;
                q.flagged += usize::from(flagged);
                total += score.get(i).unwrap_or(0) as f64;
                for x in f {
                    *flags.entry(x).or_default() += 1;
                }
                let d = depts.entry(text(dept, i).unwrap_or("未注明").to_string()).or_default();
                d.0 += usize::from(flagged);
                d.1 += 1;
            }
        }
        q.mean_score = total / q.replies.max(1) as f64;
        q.by_flag = flags.into_iter().collect();
        q.by_flag.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        q.worst_depts = worst_depts(depts);
        Ok(q)
    }

    /// The paragraph under 工作质效, or nothing when no reply was reviewed in the period.
    fn paragraph(&self) -> Option<String> {
        if self.replies == 0 {
            return None;
        }
        let mut md = format!(
            "答复质量：本期答复{}件，平均评分{:.1}分；被标记{}件（占{:.1}%）",
            self.replies,
            self.mean_score,
            self.flagged,
            100.0 * self.flagged as f64 / self.replies as f64
        );
        if !self.by_flag.is_empty() {
            let by: Vec<String> = self.by_flag.iter().map(|(f, n)| format!("{f}{n}件")).collect();
            md += &format!("，其中{}", by.join("、"));
        }
        md += "。";
        if !self.worst_depts.is_empty() {
            let d: Vec<String> = self.worst_depts.iter().map(|(d, f, n)| format!("{d}（{f}/{n}）")).collect();
            md += &format!("被标记比例最高的单位：{}。详见答复质量清单。", d.join("、"));
        }
        Some(md)
    }
}

impl Briefing {
    pub fn gather(wh: &Warehouse, title: &str, period: Period, as_of: NaiveDate) -> Result<Briefing> {
        let (key, start, end) = period.range(as_of);
        let metrics = read_metrics(wh)?;
        let (mut risks, mut red, mut orange) = (vec![], 0, 0);
        let mut risk_months: BTreeMap<String, [f64; 4]> = BTreeMap::new();
        let mut town_topic: BTreeMap<(String, String), f64> = BTreeMap::new();
        let months = months_back(as_of, 12);
        // the risks of the months drawn and of the period, whichever reaches back further
        let first_month = as_of.with_day(1).and_then(|d| d.checked_sub_months(chrono::Months::new(11)));
        let since = first_month.map_or(start, |m| m.min(start));
        for r in read_risk(wh, since)? {
            let d = r.received.date();
            let month = month_key(d);
            if months.contains(&month) {
                risk_months.entry(month).or_insert([0.0; 4])[r.level.index()] += 1.0;
            }
            let town = r.town.unwrap_or_else(|| UNKNOWN.into());
            if d >= start && d <= end {
                *town_topic.entry((town.clone(), r.topic.clone())).or_default() += 1.0;
            }
            if d < start || d > end || !r.level.is_high() {
                continue;
            }
            if r.level == Level::Red {
                red += 1
            } else {
                orange += 1
            }
            risks.push(RiskCase {
                case_id: r.case_id,
                topic: r.topic,
                town,
                score: r.score,
                level: r.level,
                reasons: r.reasons,
            });
        }
        risks.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.case_id.cmp(&b.case_id)));
        let groups = read_groups(wh)?;
        let mut red_groups: Vec<RiskGroup> = groups
            .iter()
            .filter(|g| g.kind == "entity" && g.level == Level::Red)
            .map(|g| RiskGroup {
                key: g.key.clone(),
                cases: g.recent_cases,
                score: g.score,
                path: g.escalation_path.clone(),
            })
            .collect();
        red_groups.sort_by(|a, b| b.score.cmp(&a.score).then(b.cases.cmp(&a.cases)).then_with(|| a.key.cmp(&b.key)));
        let one_many = groups.iter().filter(|g| g.pattern.as_deref() == Some(ONE_MANY)).count();
        let mut many_one: Vec<(String, i64, i64)> = groups
            .iter()
            .filter(|g| g.pattern.as_deref() == Some(MANY_ONE))
            .map(|g| (g.key.clone(), g.petitioners, g.cases))
            .collect();
        many_one.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then_with(|| a.0.cmp(&b.0)));
        let mut clusters: Vec<ClusterRow> =
            read_clusters(wh)?.into_iter().filter(|c| c.kind == ClusterKind::Issue).collect();
        clusters.sort_by_key(|c| c.heat_rank);
        Ok(Briefing {
            title: title.to_string(),
            period,
            key,
            start,
            end,
            as_of,
            metrics,
            risks,
            red,
            orange,
            red_groups,
            clusters,
            risk_months,
            town_topic,
            targets: vec![],
            replies: ReplyQuality::gather(wh, start, end)?,
            one_many,
            many_one,
        })
    }

    fn metric(
        &self,
        grain: Grain,
        period: &str,
        source: &str,
        dim: Dimension,
        key: &str,
        measure: Measure,
    ) -> Option<&Metric> {
        self.metrics.iter().find(|r| {
            r.grain == grain
                && r.period == period
                && r.source == source
                && r.dimension == dim
                && r.key == key
                && r.measure == measure
        })
    }

    /// The period's count of a measure for a dimension key (0 when the table has no row).
    fn count(&self, dim: Dimension, key: &str, measure: Measure) -> f64 {
        self.metric(self.period.grain(), &self.key, "all", dim, key, measure).and_then(|r| r.value).unwrap_or(0.0)
    }

    /// `环比上升12.3%（上期105件）`, or nothing when there is no earlier period.
    fn change(&self, dim: Dimension, key: &str, measure: Measure, label: &str, unit: &str) -> Option<String> {
        let r = self.metric(self.period.grain(), &self.key, "all", dim, key, measure)?;
        let base = r.denominator?;
        Some(match r.value {
            Some(v) if v > 0.0 => format!("{label}上升{:.1}%（上期{}{unit}）", v * 100.0, base),
            Some(v) if v < 0.0 => format!("{label}下降{:.1}%（上期{}{unit}）", -v * 100.0, base),
            Some(_) => format!("{label}持平（上期{}{unit}）", base),
            None => format!("{label}上期为0{unit}"),
        })
    }

    /// The briefing as a document; each chart of `figures` closes the section it illustrates.
    pub fn document(&self, figures: &[(&str, Section)]) -> Document {
        let mut d = Document::default();
        let section = |d: &mut Document, heading: Option<&str>, close: Option<Section>| {
            for (name, _) in figures.iter().filter(|(_, s)| Some(*s) == close) {
                d.push(Block::Figure { name: name.to_string(), path: format!("charts/{name}.png").into() });
            }
            if let Some(h) = heading {
                d.heading(h);
            }
        };
        let p = self.period.name();
        let span = if self.start == self.end {
            format!("{}", self.start.format("%Y年%-m月%-d日"))
        } else {
            format!("{}至{}", self.start.format("%Y年%-m月%-d日"), self.end.format("%-m月%-d日"))
        };
        d.title(&self.title);
        d.paragraph(format!(
            "统计区间：{span}（{}）；数据截至{}。本报告由 minqing 依据信访、12345、网络留言和舆情数据生成，数字均可在同批数据表中核对。",
            self.key, self.as_of
        ));

        section(&mut d, Some("一、总体情况"), None);
        let n = self.count(Dimension::Total, "全部", Measure::Cases);
        let people = self.count(Dimension::Total, "全部", Measure::People);
        if n == 0.0 {
            d.paragraph(format!("{p}未登记诉求。"));
        } else {
            let mut line = format!("{p}共登记各类诉求{n}件（批次），涉及群众{people}人次");
            let changes: Vec<String> = [(Measure::CasesVsPrevious, "环比"), (Measure::CasesVsYearAgo, "同比")]
                .iter()
                .filter_map(|(m, l)| self.change(Dimension::Total, "全部", *m, l, "件"))
                .collect();
            if !changes.is_empty() {
                line += &format!("，件数{}", changes.join("、"));
            }
            line += "。";
            let parts: Vec<String> = Source::ALL
                .iter()
                .map(|k| format!("{}{}件", k.name(), self.count(Dimension::Source, k.as_str(), Measure::Cases)))
                .collect();
            line += &format!("其中{}。", parts.join("、"));
            d.paragraph(line);
        }

        section(&mut d, Some("二、热点问题"), Some(Section::Overview));
        let mut topics: Vec<(&str, f64)> = self
            .metrics
            .iter()
            .filter(|r| {
                r.grain == self.period.grain()
                    && r.period == self.key
                    && r.dimension == Dimension::Topic
                    && r.measure == Measure::Cases
            })
            .filter(|r| r.key != "其他")
            .map(|r| (r.key.as_str(), r.value.unwrap_or(0.0)))
            .collect();
        topics.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        topics.truncate(5);
        if topics.is_empty() {
            d.paragraph("暂无突出领域。");
        } else {
            let lead: Vec<String> =
                topics.iter().map(|(k, v)| format!("{k}{v}件（占{}）", percent(ratio(*v, n)))).collect();
            d.paragraph(format!("按领域，{p}诉求量居前的是{}。", lead.join("、")));
            let rows = topics
                .iter()
                .map(|(k, v)| {
                    let ch = self
                        .change(Dimension::Topic, k, Measure::CasesVsPrevious, "", "件")
                        .unwrap_or_else(|| "—".into());
                    vec![k.to_string(), v.to_string(), self.count(Dimension::Topic, k, Measure::People).to_string(), ch]
                })
                .collect();
            d.table(&["领域", "件数", "人次", "环比"], rows);
        }

        section(&mut d, Some("三、新动向"), Some(Section::Hot));
        let surges: Vec<&Metric> = self
            .metrics
            .iter()
            .filter(|r| r.grain == Grain::AsOf && r.period == self.as_of.to_string() && r.measure == Measure::Surge)
            .collect();
        if surges.is_empty() {
            d.paragraph("近7天未发现明显异动（件数达到前8周周均2倍以上且超出3倍标准差的领域、属地、对象）。");
        } else {
            let items = surges
                .iter()
                .take(8)
                .map(|r| {
                    let what = match r.dimension {
                        Dimension::Topic => "领域",
                        Dimension::Town => "属地",
                        _ => "对象",
                    };
                    format!("{what}「{}」：{}。", r.key, r.note.as_deref().unwrap_or(""))
                })
                .collect();
            d.push(Block::Bullets(items));
        }

        section(&mut d, Some("四、风险研判"), Some(Section::Trends));
        let mut line = format!("{p}新登记红色风险{}件、橙色风险{}件。", self.red, self.orange);
        if self.risks.is_empty() {
            d.paragraph(line);
        } else {
            line += "风险分最高的如下：";
            d.paragraph(line);
            let rows = self
                .risks
                .iter()
                .take(8)
                .map(|r| {
                    let why: Vec<&str> = r.reasons.iter().take(3).map(String::as_str).collect();
                    vec![
                        r.case_id.clone(),
                        r.level.to_string(),
                        r.score.to_string(),
                        r.topic.clone(),
                        r.town.clone(),
                        why.join("；"),
                    ]
                })
                .collect();
            d.table(&["案件编号", "等级", "风险分", "领域", "属地", "主要理由"], rows);
        }
        if !self.red_groups.is_empty() {
            let g: Vec<String> = self
                .red_groups
                .iter()
                .take(3)
                .map(|g| format!("{}（近90天{}件，{}）", g.key, g.cases, g.path))
                .collect();
            d.paragraph(format!(
                "截至{}，红色风险对象{}个，前三位：{}。",
                self.as_of,
                self.red_groups.len(),
                g.join("；")
            ));
        }
        if self.one_many > 0 || !self.many_one.is_empty() {
            let mut line = format!(
                "一人多诉（同一信访人反映两个以上事项）{}人；多人同诉（三名以上信访人反映同一对象）{}起",
                self.one_many,
                self.many_one.len()
            );
            if !self.many_one.is_empty() {
                let top: Vec<String> = self
                    .many_one
                    .iter()
                    .take(3)
                    .map(|(k, p, c)| format!("{}（{p}人、{c}件）", entity_name(k)))
                    .collect();
                line += &format!("，涉及信访人最多的：{}", top.join("、"));
            }
            d.paragraph(line + "。");
        }

        section(&mut d, Some("五、类案"), Some(Section::Risk));
        if self.clusters.is_empty() {
            d.paragraph("未发现群体性类案。");
        } else {
            d.paragraph(format!("按热度，当前群体性类案{}起，前五位及建议交办如下：", self.clusters.len()));
            let rows = self
                .clusters
                .iter()
                .take(5)
                .map(|c| {
                    let [a, b, cc, dd] = c.by_source;
                    vec![
                        format!("{:.1}", c.heat),
                        c.title.clone(),
                        c.cases.to_string(),
                        c.people.to_string(),
                        format!("{a}/{b}/{cc}/{dd}"),
                        c.lead_dept.clone(),
                        c.regions.clone(),
                    ]
                })
                .collect();
            d.table(&["热度", "类案", "件数", "人次", "信访/12345/留言/舆情", "建议牵头部门", "属地"], rows);
        }

        section(&mut d, Some("六、工作质效"), Some(Section::Clusters));
        let month = month_key(self.as_of);
        let petition = Source::Petition.as_str();
        let rates: Vec<String> = Measure::PETITION_RATES
            .iter()
            .filter_map(|m| {
                let r = self.metric(Grain::Month, &month, petition, Dimension::Total, "全部", *m)?;
                Some(format!("{m}{}", Rate::new(r.numerator.unwrap_or(0.0), r.denominator.unwrap_or(0.0))))
            })
            .collect();
        let mut line = String::new();
        if !rates.is_empty() {
            line += &format!("{}月信访事项：{}。", self.as_of.month(), rates.join("，"));
            let below: Vec<String> = self
                .targets
                .iter()
                .filter_map(|(m, t)| {
                    let v = self
                        .metric(Grain::Month, &month, petition, Dimension::Total, "全部", Measure::parse(m)?)?
                        .value?;
                    (v * 100.0 < *t).then(|| format!("{m}{}（目标{t}%）", percent(Some(v))))
                })
                .collect();
            if !below.is_empty() {
                line += &format!("未达考核目标的有：{}。", below.join("、"));
            } else if !self.targets.is_empty() {
                line += "各项指标均达到考核目标。";
            }
        }
        let asof = self.as_of.to_string();
        let state = |m: Measure| {
            self.metric(Grain::AsOf, &asof, "all", Dimension::Total, "全部", m).and_then(|r| r.value).unwrap_or(0.0)
        };
        line += &format!(
            "截至{}，在办件中逾期{}件、到期{}件、临期{}件。",
            self.as_of,
            state(Measure::Overdue),
            state(Measure::DueToday),
            state(Measure::DueSoon)
        );
        d.paragraph(line);
        let mut overdue_depts: Vec<(&str, f64)> = self
            .metrics
            .iter()
            .filter(|r| {
                r.grain == Grain::AsOf
                    && r.period == asof
                    && r.source == "all"
                    && r.dimension == Dimension::Dept
                    && r.measure == Measure::Overdue
            })
            .map(|r| (r.key.as_str(), r.value.unwrap_or(0.0)))
            .collect();
        overdue_depts.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        if self.period == Period::Month {
            let mut rank: BTreeMap<i64, (&str, f64, bool)> = BTreeMap::new();
            for r in self
                .metrics
                .iter()
                .filter(|r| r.grain == Grain::Month && r.period == month && r.dimension == Dimension::TownRank)
            {
                let e = |m: Measure| {
                    self.metric(Grain::Month, &month, "all", Dimension::TownRank, &r.key, m).and_then(|x| x.value)
                };
                if r.measure == Measure::Rank {
                    rank.insert(
                        r.value.unwrap_or(0.0) as i64,
                        (&r.key, e(Measure::RankScore).unwrap_or(0.0), e(Measure::RankLast) == Some(1.0)),
                    );
                }
            }
            if !rank.is_empty() {
                d.paragraph("乡镇月站队：");
                let rows = rank
                    .iter()
                    .map(|(k, (t, score, bottom))| {
                        vec![
                            k.to_string(),
                            t.to_string(),
                            format!("{score:.1}"),
                            if *bottom { "末位" } else { "" }.into(),
                        ]
                    })
                    .collect();
                d.table(&["名次", "乡镇", "得分", ""], rows);
            }
        }
        if let Some(p) = self.replies.paragraph() {
            d.paragraph(p);
        }

        section(&mut d, Some("七、工作建议"), Some(Section::Quality));
        let mut tips = vec![];
        if let Some(c) = self.clusters.first() {
            let places: Vec<&str> = c.towns().into_iter().take(2).collect();
            tips.push(format!(
                "针对{}（{}件、{}人次），建议由{}牵头，会同{}等属地开展类案批量化解，实行双向交办。",
                c.title,
                c.cases,
                c.people,
                c.lead_dept,
                places.join("、")
            ));
        }
        if let Some(g) = self.red_groups.first() {
            tips.push(format!(
                "对{}个红色风险对象落实包案稳控，重点关注{}（{}），防止越级进京。",
                self.red_groups.len(),
                g.key,
                g.path
            ));
        }
        if let Some((dept, n)) = overdue_depts.first().filter(|(_, n)| *n > 0.0) {
            tips.push(format!("督促{dept}等单位加快办理，该单位现有逾期件{n}件。"));
        }
        if let Some(r) = surges.first() {
            tips.push(format!("密切关注「{}」异动，及时研判，防止问题扩大。", r.key));
        }
        if tips.is_empty() {
            tips.push("保持常态化研判，按期办结在办事项。".into());
        }
        d.push(Block::Numbered(tips));
        section(&mut d, None, Some(Section::Advice));
        d
    }
}

#[cfg(test)]
mod reply_quality_tests {
    use super::*;

    #[test]
    fn departments_rank_by_share_flagged_and_the_paragraph_gives_numerator_and_denominator() {
        let depts: BTreeMap<String, (usize, usize)> = [
            ("县住建局", (3, 10)),
            ("县人社局", (2, 4)),
            ("青石镇", (2, 2)),
            ("县城管局", (0, 6)),
            ("县教育局", (5, 10)),
        ]
        .into_iter()
        .map(|(d, n)| (d.to_string(), n))
        .collect();
        let w = worst_depts(depts);
        let names: Vec<&str> = w.iter().map(|(d, ..)| d.as_str()).collect();
        // 青石镇 has too few replies, 县城管局 none flagged; 5/10 ties 2/4 and has more flagged
        assert_eq!(names, ["县教育局", "县人社局", "县住建局"]);
        let q = ReplyQuality {
            replies: 32,
            flagged: 12,
            mean_score: 61.25,
            by_flag: vec![("敷衍".into(), 7), ("超期答复".into(), 5)],
            worst_depts: w,
        };
        assert_eq!(
            q.paragraph().unwrap(),
            "答复质量：本期答复32件，平均评分61.2分；被标记12件（占37.5%），其中敷衍7件、超期答复5件。\
             被标记比例最高的单位：县教育局（5/10）、县人社局（2/4）、县住建局（3/10）。详见答复质量清单。"
        );
        assert_eq!(ReplyQuality::default().paragraph(), None);
    }
}
