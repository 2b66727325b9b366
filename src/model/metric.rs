//! What the `metrics` table counts: along which dimension ([`Dimension`]) and which
//! measure ([`Measure`]), with the names the table stores and reports print; one figure
//! of it is a [`Metric`].

use super::Grain;

vocabulary!(
    /// What a metric is broken down by; `total` has the one key 全部.
    Dimension {
        Total => "total",
        Source => "source",
        Channel => "channel",
        Topic => "topic",
        Town => "town",
        Dept => "dept",
        /// A township's place in the monthly ranking (乡镇站队).
        TownRank => "town_rank",
        Entity => "entity",
        Person => "person",
        /// 包案领导 or the department that owns a backlog case.
        Owner => "owner",
    }
);

vocabulary!(
    /// What a metric measures.
    Measure {
        /// 批次: cases.
        Cases => "批次",
        /// 人次: people (信访人数, 1 when unknown).
        People => "人次",
        CasesVsPrevious => "批次环比",
        PeopleVsPrevious => "人次环比",
        CasesVsYearAgo => "批次同比",
        PeopleVsYearAgo => "人次同比",
        AcceptedOnTime => "及时受理率",
        ClosedOnTime => "按期办结率",
        Rated => "参评率",
        Satisfied => "满意率",
        Repeat => "重复信访率",
        FirstTime => "初信初访占比",
        Overdue => "逾期件数",
        DueToday => "到期件数",
        DueSoon => "临期件数",
        Normal => "正常件数",
        Backlog => "积案件数",
        OldBacklog => "五年以上积案件数",
        BacklogResolved => "积案化解率",
        LongTermPetitioners => "老户人数",
        LongTermCases => "老户信访件数",
        HighRisk => "红橙风险件数",
        Surge => "异动",
        RankScore => "站队得分",
        Rank => "名次",
        RankLast => "末位",
        PerTenThousand => "万人信访量",
        CrossRegion => "三跨三分离件数",
    }
);

/// One figure of the `metrics` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub grain: Grain,
    pub period: String,
    /// `petition`, `hotline`, … or `all`.
    pub source: String,
    pub dimension: Dimension,
    pub key: String,
    pub measure: Measure,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    pub note: Option<String>,
}

impl Metric {
    /// A count: the value is the numerator.
    pub fn count(
        grain: Grain,
        period: &str,
        source: &str,
        dimension: Dimension,
        key: &str,
        measure: Measure,
        n: f64,
    ) -> Metric {
        Metric {
            grain,
            period: period.into(),
            source: source.into(),
            dimension,
            key: key.into(),
            measure,
            numerator: Some(n),
            denominator: None,
            value: Some(n),
            note: None,
        }
    }

    /// The count as the numerator of a rate or ratio over `den`: the value is
    /// numerator / denominator, none when the denominator is 0.
    pub fn over(mut self, den: f64) -> Metric {
        self.denominator = Some(den);
        self.value = self.numerator.and_then(|num| super::ratio(num, den));
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Metric {
        self.note = Some(note.into());
        self
    }
}

impl Measure {
    /// The work rates of petitions (信访事项) bureaus are ranked on, in the order reports
    /// list them.
    pub const PETITION_RATES: &'static [Measure] = &[
        Measure::AcceptedOnTime,
        Measure::ClosedOnTime,
        Measure::Rated,
        Measure::Satisfied,
        Measure::Repeat,
        Measure::FirstTime,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for m in Measure::ALL {
            assert_eq!(Measure::parse(m.as_str()), Some(*m));
        }
        for d in Dimension::ALL {
            assert_eq!(Dimension::parse(d.as_str()), Some(*d));
        }
        let mut names: Vec<&str> = Measure::ALL.iter().map(|m| m.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Measure::ALL.len());
    }
}
