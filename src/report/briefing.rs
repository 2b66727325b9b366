//! The briefing (社情民意 简报) as analysts write it: 总体情况, 热点问题, 新动向, 风险研判, 类案,
//! 工作质效, 工作建议. Every number is read from a warehouse table of the same run
//! (`metrics`, `risk`, `risk_groups`, `clusters`) — never recomputed here — so the text
//! and `minqing sql` agree. `Briefing` holds the figures; `to_markdown` writes them out.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use chrono::{Datelike, Duration, NaiveDate};

use crate::Result;
use crate::metrics::frame::week_of;
use crate::metrics::percent;
use crate::pipeline::config::Period;
use crate::pipeline::facts::micros_to_time;
use crate::schema::table;
use crate::warehouse::{Warehouse, read_table};

/// One `metrics` row.
#[derive(Debug, Clone)]
pub struct Row {
    pub grain: String,
    pub period: String,
    pub source: String,
    pub dimension: String,
    pub key: String,
    pub measure: String,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    pub note: Option<String>,
}

fn s(b: &RecordBatch, name: &str, i: usize) -> Option<String> {
    let c = b.column_by_name(name)?.as_string::<i32>();
    (!c.is_null(i)).then(|| c.value(i).to_string())
}

fn f(b: &RecordBatch, name: &str, i: usize) -> Option<f64> {
    let c = b.column_by_name(name)?.as_primitive::<Float64Type>();
    (!c.is_null(i)).then(|| c.value(i))
}

fn int(b: &RecordBatch, name: &str, i: usize) -> Option<i64> {
    let c = b.column_by_name(name)?;
    if let Some(a) = c.as_primitive_opt::<Int64Type>() {
        return (!a.is_null(i)).then(|| a.value(i));
    }
    let a = c.as_primitive_opt::<Int32Type>()?;
    (!a.is_null(i)).then(|| i64::from(a.value(i)))
}

fn day(b: &RecordBatch, name: &str, i: usize) -> Option<NaiveDate> {
    let c = b.column_by_name(name)?.as_primitive::<TimestampMicrosecondType>();
    (!c.is_null(i)).then(|| micros_to_time(c.value(i)).date())
}

fn list(b: &RecordBatch, name: &str, i: usize) -> Vec<String> {
    let Some(c) = b.column_by_name(name) else { return vec![] };
    let l = c.as_list::<i32>().value(i);
    let l = l.as_string::<i32>();
    (0..l.len()).map(|j| l.value(j).to_string()).collect()
}

/// A risk case for the list.
#[derive(Debug, Clone)]
pub struct RiskCase {
    pub case_id: String,
    pub topic: String,
    pub town: String,
    pub score: i64,
    pub level: String,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RiskGroup {
    pub key: String,
    pub cases: i64,
    pub score: i64,
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct ClusterLine {
    pub title: String,
    pub cases: i64,
    pub people: i64,
    pub by_source: [i64; 4],
    pub heat: f64,
    pub lead: String,
    pub regions: String,
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
    pub metrics: Vec<Row>,
    pub risks: Vec<RiskCase>,
    pub red: usize,
    pub orange: usize,
    pub red_groups: Vec<RiskGroup>,
    pub clusters: Vec<ClusterLine>,
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
            for i in 0..b.num_rows() {
                if !day(&b, rr::REPLIED_AT, i).is_some_and(|d| d >= start && d <= end) {
                    continue;
                }
                let f: Vec<String> = list(&b, rr::FLAGS, i);
                let flagged = f.iter().any(|x| x != "不完整");
                q.replies += 1;
                q.flagged += usize::from(flagged);
                total += int(&b, rr::SCORE, i)
                    .ok_or_else(|| crate::Error::Schema("reply_review has no `score`".into()))?
                    as f64;
                for x in f {
                    *flags.entry(x).or_default() += 1;
                }
                let d = depts.entry(s(&b, rr::DEPT, i).unwrap_or_else(|| "未注明".into())).or_default();
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
    fn paragraph(&self) -> String {
        if self.replies == 0 {
            return String::new();
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
        md + "\n\n"
    }
}

/// The period's key in `metrics` and its first and last days.
pub fn period_range(period: Period, as_of: NaiveDate) -> (String, NaiveDate, NaiveDate) {
    match period {
        Period::Day => (as_of.to_string(), as_of, as_of),
        Period::Week => {
            let monday = as_of - Duration::days(i64::from(as_of.weekday().num_days_from_monday()));
            (week_of(as_of), monday, monday + Duration::days(6))
        }
        Period::Month => {
            let first = as_of.with_day(1).expect("day 1");
            let next = if first.month() == 12 {
                NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
            }
            .expect("valid");
            (as_of.format("%Y-%m").to_string(), first, next - Duration::days(1))
        }
    }
}

impl Briefing {
    pub fn gather(wh: &Warehouse, title: &str, period: Period, as_of: NaiveDate) -> Result<Briefing> {
        let (key, start, end) = period_range(period, as_of);
        let mut metrics = vec![];
        for b in read_table(wh, table::METRICS)? {
            for i in 0..b.num_rows() {
                metrics.push(Row {
                    grain: s(&b, "grain", i).unwrap_or_default(),
                    period: s(&b, "period", i).unwrap_or_default(),
                    source: s(&b, "source", i).unwrap_or_default(),
                    dimension: s(&b, "dimension", i).unwrap_or_default(),
                    key: s(&b, "key", i).unwrap_or_default(),
                    measure: s(&b, "measure", i).unwrap_or_default(),
                    numerator: f(&b, "numerator", i),
                    denominator: f(&b, "denominator", i),
                    value: f(&b, "value", i),
                    note: s(&b, "note", i),
                });
            }
        }
        let (mut risks, mut red, mut orange) = (vec![], 0, 0);
        let mut risk_months: BTreeMap<String, [f64; 4]> = BTreeMap::new();
        let mut town_topic: BTreeMap<(String, String), f64> = BTreeMap::new();
        let first_month = {
            let m = as_of.year() * 12 + as_of.month0() as i32 - 11;
            format!("{}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
        };
        let last_month = as_of.format("%Y-%m").to_string();
        for b in read_table(wh, table::RISK)? {
            for i in 0..b.num_rows() {
                let d = day(&b, "received_at", i).unwrap_or(start);
                let level = s(&b, "level", i).unwrap_or_default();
                let month = d.format("%Y-%m").to_string();
                if month >= first_month && month <= last_month {
                    let k = ["红", "橙", "黄", "蓝"].iter().position(|l| *l == level).unwrap_or(3);
                    risk_months.entry(month).or_insert([0.0; 4])[k] += 1.0;
                }
                if d >= start && d <= end {
                    let town = s(&b, "region_town", i).unwrap_or_else(|| "未知".into());
                    *town_topic.entry((town, s(&b, "focus_topic", i).unwrap_or_default())).or_default() += 1.0;
                }
                if d < start || d > end || !(level == "红" || level == "橙") {
                    continue;
                }
                if level == "红" {
                    red += 1
                } else {
                    orange += 1
                }
                risks.push(RiskCase {
                    case_id: s(&b, "case_id", i).unwrap_or_default(),
                    topic: s(&b, "focus_topic", i).unwrap_or_default(),
                    town: s(&b, "region_town", i).unwrap_or_else(|| "未知".into()),
                    score: int(&b, "score", i).unwrap_or(0),
                    level,
                    reasons: list(&b, "reasons", i),
                });
            }
        }
        risks.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.case_id.cmp(&b.case_id)));
        let mut red_groups = vec![];
        for b in read_table(wh, table::RISK_GROUPS)? {
            for i in 0..b.num_rows() {
                if s(&b, "kind", i).as_deref() == Some("entity") && s(&b, "level", i).as_deref() == Some("红") {
                    red_groups.push(RiskGroup {
                        key: s(&b, "key", i).unwrap_or_default(),
                        cases: int(&b, "recent_cases", i).unwrap_or(0),
                        score: int(&b, "score", i).unwrap_or(0),
                        path: s(&b, "escalation_path", i).unwrap_or_default(),
                    });
                }
            }
        }
        red_groups.sort_by(|a, b| b.score.cmp(&a.score).then(b.cases.cmp(&a.cases)).then_with(|| a.key.cmp(&b.key)));
        let (mut one_many, mut many_one) = (0, vec![]);
        for b in read_table(wh, table::RISK_GROUPS)? {
            for i in 0..b.num_rows() {
                match s(&b, crate::schema::risk_groups::PATTERN, i).as_deref() {
                    Some("一人多诉") => one_many += 1,
                    Some("多人同诉") => many_one.push((
                        s(&b, "key", i).unwrap_or_default(),
                        int(&b, "petitioners", i).unwrap_or(0),
                        int(&b, "cases", i).unwrap_or(0),
                    )),
                    _ => {}
                }
            }
        }
        many_one.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then_with(|| a.0.cmp(&b.0)));
        let mut clusters = vec![];
        for b in read_table(wh, table::CLUSTERS)? {
            for i in 0..b.num_rows() {
                if s(&b, "kind", i).as_deref() != Some("issue") {
                    continue;
                }
                let n = |c: &str| int(&b, c, i).unwrap_or(0);
                clusters.push((
                    n("heat_rank"),
                    ClusterLine {
                        title: s(&b, "title", i).unwrap_or_default(),
                        cases: n("cases"),
                        people: n("people"),
                        by_source: [n("petition"), n("hotline"), n("message"), n("opinion")],
                        heat: f(&b, "heat", i).unwrap_or(0.0),
                        lead: s(&b, "lead_dept", i).unwrap_or_default(),
                        regions: s(&b, "regions", i).unwrap_or_default(),
                    },
                ));
            }
        }
        clusters.sort_by_key(|(r, _)| *r);
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
            clusters: clusters.into_iter().map(|(_, c)| c).collect(),
            risk_months,
            town_topic,
            targets: vec![],
            replies: ReplyQuality::gather(wh, start, end)?,
            one_many,
            many_one,
        })
    }

    fn metric(&self, grain: &str, period: &str, source: &str, dim: &str, key: &str, measure: &str) -> Option<&Row> {
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
    fn count(&self, dim: &str, key: &str, measure: &str) -> f64 {
        self.metric(self.period.grain(), &self.key, "all", dim, key, measure).and_then(|r| r.value).unwrap_or(0.0)
    }

    /// `环比上升12.3%（上期105件）`, or nothing when there is no earlier period.
    fn change(&self, dim: &str, key: &str, measure: &str, label: &str, unit: &str) -> Option<String> {
        let r = self.metric(self.period.grain(), &self.key, "all", dim, key, measure)?;
        let base = r.denominator?;
        Some(match r.value {
            Some(v) if v > 0.0 => format!("{label}上升{:.1}%（上期{}{unit}）", v * 100.0, base),
            Some(v) if v < 0.0 => format!("{label}下降{:.1}%（上期{}{unit}）", -v * 100.0, base),
            Some(_) => format!("{label}持平（上期{}{unit}）", base),
            None => format!("{label}上期为0{unit}"),
        })
    }

    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let p = self.period.name();
        let span = if self.start == self.end {
            format!("{}", self.start.format("%Y年%-m月%-d日"))
        } else {
            format!("{}至{}", self.start.format("%Y年%-m月%-d日"), self.end.format("%-m月%-d日"))
        };
        md += &format!("# {}\n\n", self.title);
        md += &format!(
            "统计区间：{span}（{}）；数据截至{}。本报告由 minqing 依据信访、12345、网络留言和舆情数据生成，数字均可在同批数据表中核对。\n\n",
            self.key, self.as_of
        );

        // 一、总体情况
        md += "## 一、总体情况\n\n";
        let n = self.count("total", "全部", "批次");
        let people = self.count("total", "全部", "人次");
        if n == 0.0 {
            md += &format!("{p}未登记诉求。\n\n");
        } else {
            let mut line = format!("{p}共登记各类诉求{n}件（批次），涉及群众{people}人次");
            let changes: Vec<String> = [("批次环比", "环比"), ("批次同比", "同比")]
                .iter()
                .filter_map(|(m, l)| self.change("total", "全部", m, l, "件"))
                .collect();
            if !changes.is_empty() {
                line += &format!("，件数{}", changes.join("、"));
            }
            line += "。";
            let parts: Vec<String> =
                [("petition", "信访"), ("hotline", "12345工单"), ("message", "网络留言"), ("opinion", "网络舆情")]
                    .iter()
                    .map(|(k, name)| format!("{name}{}件", self.count("source", k, "批次")))
                    .collect();
            line += &format!("其中{}。", parts.join("、"));
            md += &line;
            md += "\n\n";
        }

        // 二、热点问题
        md += "## 二、热点问题\n\n";
        let mut topics: Vec<(&str, f64)> = self
            .metrics
            .iter()
            .filter(|r| {
                r.grain == self.period.grain() && r.period == self.key && r.dimension == "topic" && r.measure == "批次"
            })
            .filter(|r| r.key != "其他")
            .map(|r| (r.key.as_str(), r.value.unwrap_or(0.0)))
            .collect();
        topics.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        topics.truncate(5);
        if topics.is_empty() {
            md += "暂无突出领域。\n\n";
        } else {
            let lead: Vec<String> = topics
                .iter()
                .map(|(k, v)| format!("{k}{v}件（占{}）", percent(crate::metrics::ratio(*v, n))))
                .collect();
            md += &format!("按领域，{p}诉求量居前的是{}。\n\n", lead.join("、"));
            md += "| 领域 | 件数 | 人次 | 环比 |\n|---|---|---|---|\n";
            for (k, v) in &topics {
                let ch = self.change("topic", k, "批次环比", "", "件").unwrap_or_else(|| "—".into());
                md += &format!("| {k} | {v} | {} | {ch} |\n", self.count("topic", k, "人次"));
            }
            md += "\n";
        }

        // 三、新动向
        md += "## 三、新动向\n\n";
        let surges: Vec<&Row> = self
            .metrics
            .iter()
            .filter(|r| r.grain == "asof" && r.period == self.as_of.to_string() && r.measure == "异动")
            .collect();
        if surges.is_empty() {
            md += "近7天未发现明显异动（件数达到前8周周均2倍以上且超出3倍标准差的领域、属地、对象）。\n\n";
        } else {
            for r in surges.iter().take(8) {
                let what = match r.dimension.as_str() {
                    "topic" => "领域",
                    "town" => "属地",
                    _ => "对象",
                };
                md += &format!("- {what}「{}」：{}。\n", r.key, r.note.as_deref().unwrap_or(""));
            }
            md += "\n";
        }

        // 四、风险研判
        md += "## 四、风险研判\n\n";
        md += &format!("{p}新登记红色风险{}件、橙色风险{}件。", self.red, self.orange);
        if self.risks.is_empty() {
            md += "\n\n";
        } else {
            md += "风险分最高的如下：\n\n| 案件编号 | 等级 | 风险分 | 领域 | 属地 | 主要理由 |\n|---|---|---|---|---|---|\n";
            for r in self.risks.iter().take(8) {
                let why: Vec<&str> = r.reasons.iter().take(3).map(String::as_str).collect();
                md += &format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    r.case_id,
                    r.level,
                    r.score,
                    r.topic,
                    r.town,
                    why.join("；")
                );
            }
            md += "\n";
        }
        if !self.red_groups.is_empty() {
            md += &format!("截至{}，红色风险对象{}个，前三位：", self.as_of, self.red_groups.len());
            let g: Vec<String> = self
                .red_groups
                .iter()
                .take(3)
                .map(|g| format!("{}（近90天{}件，{}）", g.key, g.cases, g.path))
                .collect();
            md += &g.join("；");
            md += "。\n\n";
        }

        if self.one_many > 0 || !self.many_one.is_empty() {
            md += &format!(
                "一人多诉（同一信访人反映两个以上事项）{}人；多人同诉（三名以上信访人反映同一对象）{}起",
                self.one_many,
                self.many_one.len()
            );
            if !self.many_one.is_empty() {
                let top: Vec<String> = self
                    .many_one
                    .iter()
                    .take(3)
                    .map(|(k, p, c)| format!("{}（{p}人、{c}件）", crate::risk::rules::entity_name(k)))
                    .collect();
                md += &format!("，涉及信访人最多的：{}", top.join("、"));
            }
            md += "。\n\n";
        }

        // 五、类案
        md += "## 五、类案\n\n";
        if self.clusters.is_empty() {
            md += "未发现群体性类案。\n\n";
        } else {
            md += &format!("按热度，当前群体性类案{}起，前五位及建议交办如下：\n\n", self.clusters.len());
            md += "| 热度 | 类案 | 件数 | 人次 | 信访/12345/留言/舆情 | 建议牵头部门 | 属地 |\n|---|---|---|---|---|---|---|\n";
            for c in self.clusters.iter().take(5) {
                let [a, b, cc, d] = c.by_source;
                md += &format!(
                    "| {:.1} | {} | {} | {} | {a}/{b}/{cc}/{d} | {} | {} |\n",
                    c.heat, c.title, c.cases, c.people, c.lead, c.regions
                );
            }
            md += "\n";
        }

        // 六、工作质效
        md += "## 六、工作质效\n\n";
        let month = self.as_of.format("%Y-%m").to_string();
        let rates: Vec<String> = crate::metrics::rates::PETITION_RATES
            .iter()
            .filter_map(|m| {
                let r = self.metric("month", &month, "petition", "total", "全部", m)?;
                Some(format!(
                    "{m}{}（{}/{}）",
                    percent(r.value),
                    r.numerator.unwrap_or(0.0),
                    r.denominator.unwrap_or(0.0)
                ))
            })
            .collect();
        if !rates.is_empty() {
            md += &format!("{}月信访事项：{}。", self.as_of.month(), rates.join("，"));
            let below: Vec<String> = self
                .targets
                .iter()
                .filter_map(|(m, t)| {
                    let v = self.metric("month", &month, "petition", "total", "全部", m)?.value?;
                    (v * 100.0 < *t).then(|| format!("{m}{}（目标{t}%）", percent(Some(v))))
                })
                .collect();
            if !below.is_empty() {
                md += &format!("未达考核目标的有：{}。", below.join("、"));
            } else if !self.targets.is_empty() {
                md += "各项指标均达到考核目标。";
            }
        }
        let asof = self.as_of.to_string();
        let state =
            |m: &str| self.metric("asof", &asof, "all", "total", "全部", m).and_then(|r| r.value).unwrap_or(0.0);
        md += &format!(
            "截至{}，在办件中逾期{}件、到期{}件、临期{}件。\n\n",
            self.as_of,
            state("逾期件数"),
            state("到期件数"),
            state("临期件数")
        );
        let mut overdue_depts: Vec<(&str, f64)> = self
            .metrics
            .iter()
            .filter(|r| {
                r.grain == "asof"
                    && r.period == asof
                    && r.source == "all"
                    && r.dimension == "dept"
                    && r.measure == "逾期件数"
            })
            .map(|r| (r.key.as_str(), r.value.unwrap_or(0.0)))
            .collect();
        overdue_depts.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        if self.period == Period::Month {
            let mut rank: BTreeMap<i64, (&str, f64, bool)> = BTreeMap::new();
            for r in
                self.metrics.iter().filter(|r| r.grain == "month" && r.period == month && r.dimension == "town_rank")
            {
                let e = |m: &str| self.metric("month", &month, "all", "town_rank", &r.key, m).and_then(|x| x.value);
                if r.measure == "名次" {
                    rank.insert(
                        r.value.unwrap_or(0.0) as i64,
                        (&r.key, e("站队得分").unwrap_or(0.0), e("末位") == Some(1.0)),
                    );
                }
            }
            if !rank.is_empty() {
                md += "乡镇月站队：\n\n| 名次 | 乡镇 | 得分 | |\n|---|---|---|---|\n";
                for (k, (t, score, bottom)) in &rank {
                    md += &format!("| {k} | {t} | {score:.1} | {} |\n", if *bottom { "末位" } else { "" });
                }
                md += "\n";
            }
        }

        md += &self.replies.paragraph();

        // 七、工作建议
        md += "## 七、工作建议\n\n";
        let mut tips = vec![];
        if let Some(c) = self.clusters.first() {
            let places: Vec<&str> = c
                .regions
                .split('、')
                .map(|r| r.split(' ').next().unwrap_or(r))
                .filter(|r| *r != "未知")
                .take(2)
                .collect();
            tips.push(format!(
                "针对{}（{}件、{}人次），建议由{}牵头，会同{}等属地开展类案批量化解，实行双向交办。",
                c.title,
                c.cases,
                c.people,
                c.lead,
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
        if let Some((d, n)) = overdue_depts.first().filter(|(_, n)| *n > 0.0) {
            tips.push(format!("督促{d}等单位加快办理，该单位现有逾期件{n}件。"));
        }
        if let Some(r) = surges.first() {
            tips.push(format!("密切关注「{}」异动，及时研判，防止问题扩大。", r.key));
        }
        if tips.is_empty() {
            tips.push("保持常态化研判，按期办结在办事项。".into());
        }
        for (i, t) in tips.iter().enumerate() {
            md += &format!("{}. {t}\n", i + 1);
        }
        md
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
            q.paragraph(),
            "答复质量：本期答复32件，平均评分61.2分；被标记12件（占37.5%），其中敷衍7件、超期答复5件。\
             被标记比例最高的单位：县教育局（5/10）、县人社局（2/4）、县住建局（3/10）。详见答复质量清单。\n\n"
        );
        assert_eq!(ReplyQuality::default().paragraph(), "");
    }
}
