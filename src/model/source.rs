//! The four kinds of export minqing reads.

vocabulary!(
    /// Where a record comes from: the `source` column of every table, in the order
    /// reports list them.
    Source {
        /// 信访: the petition register (来信、来访、网上信访).
        Petition => "petition",
        /// 12345 hotline work orders.
        Hotline => "hotline",
        /// Leadership message-board posts (领导留言板).
        Message => "message",
        /// Public-opinion monitoring (网络舆情).
        Opinion => "opinion",
    }
);

impl Source {
    /// The short label of lists and workbooks: 信访, 12345, 留言, 舆情.
    pub fn label(self) -> &'static str {
        match self {
            Source::Petition => "信访",
            Source::Hotline => "12345",
            Source::Message => "留言",
            Source::Opinion => "舆情",
        }
    }

    /// The name of a briefing's prose: 信访, 12345工单, 网络留言, 网络舆情.
    pub fn name(self) -> &'static str {
        match self {
            Source::Petition => "信访",
            Source::Hotline => "12345工单",
            Source::Message => "网络留言",
            Source::Opinion => "网络舆情",
        }
    }

    /// Every stored name, comma-separated, for messages.
    pub fn names() -> String {
        Source::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// The short label of a stored source name; other names as they are.
pub fn label_of(source: &str) -> &str {
    Source::parse(source).map_or(source, |s| s.label())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &s in Source::ALL {
            assert_eq!(Source::parse(s.as_str()), Some(s));
        }
        assert_eq!(Source::parse("fax"), None);
        assert_eq!(label_of("hotline"), "12345");
        assert_eq!(label_of("fax"), "fax");
    }
}
