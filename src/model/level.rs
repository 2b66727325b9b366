//! Risk levels. Which score makes which level is a setting (`models/risk.toml`, read by
//! the risk stage); the levels themselves and their names are here.

vocabulary!(
    /// A case's or an object's risk level, highest first: 红, 橙, 黄, 蓝 (the names stored
    /// in the tables and written in reports).
    Level {
        Red => "红",
        Orange => "橙",
        Yellow => "黄",
        Blue => "蓝",
    }
);

impl Level {
    /// 红 or 橙: the levels a briefing lists and metrics count as high risk.
    pub fn is_high(self) -> bool {
        matches!(self, Level::Red | Level::Orange)
    }

    /// 0 for 红 … 3 for 蓝: the column of a per-level count.
    pub fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_order() {
        for &l in Level::ALL {
            assert_eq!(Level::parse(l.as_str()), Some(l));
            assert_eq!(Level::ALL[l.index()], l);
        }
        assert!(Level::Red < Level::Blue);
        assert!(Level::Orange.is_high() && !Level::Yellow.is_high());
    }
}
