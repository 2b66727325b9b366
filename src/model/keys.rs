//! Keys stored in text columns: an entity (`estate:翠湖花园`), a threat hit
//! (`进京:去北京@12-15`) and a cluster's kind. One encoder and one decoder each.

/// An entity as `enriched.key_entity` and `risk_groups.key` hold it: `kind:name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityKey<'a> {
    pub kind: &'a str,
    pub name: &'a str,
}

impl<'a> EntityKey<'a> {
    pub fn new(kind: &'a str, name: &'a str) -> Self {
        EntityKey { kind, name }
    }

    /// `estate:翠湖花园` → (estate, 翠湖花园); a key without a kind is all name.
    pub fn parse(key: &'a str) -> Self {
        match key.split_once(':') {
            Some((kind, name)) => EntityKey { kind, name },
            None => EntityKey { kind: "", name: key },
        }
    }

    pub fn encode(&self) -> String {
        format!("{}:{}", self.kind, self.name)
    }
}

/// `estate:翠湖花园` → `翠湖花园`.
pub fn entity_name(key: &str) -> &str {
    EntityKey::parse(key).name
}

/// Threat kinds: what the writer says he or the group will do (or is doing).
pub const THREAT_KINDS: &[&str] =
    &["自伤", "暴力", "极端", "堵路", "横幅", "花圈", "医闹", "进京", "赴省", "集体", "媒体"];
/// History kinds: what the writer says has happened before (第四次反映, 已到省里反映).
pub const HISTORY_KINDS: &[&str] = &["重复", "已到市", "已赴省", "涉诉"];

/// The kind of the label that carries the largest head count the text names ("二百余户业主"),
/// kept beside the threats so the risk stage can weigh a group's plan by its size.
pub const SIZE_KIND: &str = "规模";

/// Is this a threat kind (not a history kind)?
pub fn is_threat_kind(kind: &str) -> bool {
    THREAT_KINDS.contains(&kind)
}

/// A threat-language hit as `enriched.threats` holds it: `kind:term@start-end`, the
/// offsets in characters of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreatLabel<'a> {
    pub kind: &'a str,
    pub term: &'a str,
    pub span: Option<(usize, usize)>,
}

impl<'a> ThreatLabel<'a> {
    pub fn encode(kind: &str, term: &str, start: usize, end: usize) -> String {
        format!("{kind}:{term}@{start}-{end}")
    }

    /// `None` for a label without a kind.
    pub fn parse(label: &'a str) -> Option<Self> {
        let (kind, rest) = label.split_once(':')?;
        let (term, span) = match rest.rsplit_once('@') {
            Some((t, s)) => {
                let span = s.split_once('-').and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
                (t, span)
            }
            None => (rest, None),
        };
        Some(ThreatLabel { kind, term, span })
    }
}

/// Names with their counts, most first, as `clusters.regions` and `depts` hold them:
/// `城关镇 12、青石镇 3`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tally<'a>(pub Vec<(&'a str, usize)>);

impl<'a> Tally<'a> {
    /// Count the items: most first, then by name.
    pub fn of(items: impl Iterator<Item = &'a str>) -> Self {
        let mut n: std::collections::BTreeMap<&str, usize> = Default::default();
        for i in items {
            *n.entry(i).or_default() += 1;
        }
        let mut v: Vec<(&str, usize)> = n.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        Tally(v)
    }

    pub fn parse(s: &'a str) -> Self {
        Tally(
            s.split('、')
                .filter(|x| !x.is_empty())
                .map(|x| match x.rsplit_once(' ') {
                    Some((name, n)) => (name, n.parse().unwrap_or(0)),
                    None => (x, 0),
                })
                .collect(),
        )
    }

    pub fn encode(&self) -> String {
        self.0.iter().map(|(k, c)| format!("{k} {c}")).collect::<Vec<_>>().join("、")
    }

    /// The names, most first.
    pub fn names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.0.iter().map(|(k, _)| *k)
    }
}

vocabulary!(
    /// What a same-type cluster is: a group issue (群体性类案, the briefing's hot issues), a
    /// routine matter many raise on their own (常发), or one matter sent again (重复件).
    ClusterKind {
        Issue => "issue",
        Routine => "routine",
        Duplicate => "duplicate",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        let k = EntityKey::parse("estate:翠湖花园");
        assert_eq!((k.kind, k.name, k.encode().as_str()), ("estate", "翠湖花园", "estate:翠湖花园"));
        assert_eq!(EntityKey::parse("翠湖花园").name, "翠湖花园");
        let l = ThreatLabel::encode("进京", "去北京", 12, 15);
        let t = ThreatLabel::parse(&l).unwrap();
        assert_eq!((t.kind, t.term, t.span), ("进京", "去北京", Some((12, 15))));
        // a term may hold '@' or '-': the span is what follows the last '@'
        let t = ThreatLabel::parse("自伤:a@b@3-4").unwrap();
        assert_eq!((t.term, t.span), ("a@b", Some((3, 4))));
        assert_eq!(ThreatLabel::parse("no kind"), None);
        let t = Tally::of(["青石镇", "城关镇", "城关镇"].into_iter());
        assert_eq!(t.encode(), "城关镇 2、青石镇 1");
        assert_eq!(Tally::parse(&t.encode()), t);
        assert_eq!(Tally::parse(""), Tally::default());
        for &k in ClusterKind::ALL {
            assert_eq!(ClusterKind::parse(k.as_str()), Some(k));
        }
    }
}
