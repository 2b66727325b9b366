//! From a focus-topic prediction and lexicon hits to the full topic of a case: focus
//! topic, finer matter, national first- and second-level class, confidence and the terms
//! that decided it. Tables: `models/topics.toml`, `models/taxonomy.toml`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::model::Prediction;

const TOPICS: &str = include_str!("../../models/topics.toml");
const TAXONOMY: &str = include_str!("../../models/taxonomy.toml");

#[derive(Debug, Deserialize)]
struct Matter {
    topic: String,
    class: String,
    lead: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct TopicsFile {
    matters: BTreeMap<String, Matter>,
    class_words: BTreeMap<String, Vec<String>>,
    topic_class: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct Category {
    name: String,
    sub: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct TaxonomyFile {
    category: Vec<Category>,
}

/// The topic of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct Topic {
    pub focus_topic: String,
    pub focus_sub: String,
    pub l1: String,
    pub l2: String,
    pub confidence: f64,
    pub terms: Vec<String>,
    pub lead: String,
}

/// The topic tables, loaded once.
pub struct Topics {
    file: TopicsFile,
    /// national first level → its second levels
    taxonomy: BTreeMap<String, Vec<String>>,
}

impl Topics {
    pub fn builtin() -> Topics {
        let file: TopicsFile = toml::from_str(TOPICS).expect("models/topics.toml is valid");
        let tax: TaxonomyFile = toml::from_str(TAXONOMY).expect("models/taxonomy.toml is valid");
        Topics { file, taxonomy: tax.category.into_iter().map(|c| (c.name, c.sub)).collect() }
    }

    /// Every class named in topics.toml that is not in the taxonomy (should be none).
    #[cfg(test)]
    pub fn unknown_classes(&self) -> Vec<String> {
        let all = self
            .file
            .matters
            .values()
            .map(|m| &m.class)
            .chain(self.file.class_words.keys())
            .chain(self.file.topic_class.values());
        all.filter(|c| !self.is_class(c)).cloned().collect()
    }

    fn is_class(&self, class: &str) -> bool {
        let (l1, l2) = class.split_once('/').unwrap_or((class, ""));
        self.taxonomy.get(l1).is_some_and(|subs| l2.is_empty() || subs.iter().any(|s| s == l2))
    }

    pub fn lead_of(&self, matter: &str) -> Option<&str> {
        self.file.matters.get(matter).map(|m| m.lead.as_str())
    }

    /// Decide. `pred` is the focus model's say (if a model is loaded); `hits` are lexicon
    /// (topic, matter, word) hits; `given` the exporter's own 内容分类.
    pub fn decide(
        &self,
        pred: Option<&Prediction>,
        hits: &[(&str, &str, &str)],
        given: Option<&str>,
        text: &str,
    ) -> Topic {
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for (t, _, _) in hits {
            *votes.entry(t).or_default() += 1;
        }
        let lex_best = votes.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(t, n)| (t.to_string(), *n));
        let total: usize = votes.values().sum();
        // The model decides where the text carries some word of its topic; where it does
        // not, the model is outside what it was trained on (it over-picks its largest
        // class on unfamiliar text), and the lexicon decides.
        let (focus_topic, confidence) = match (pred, &lex_best) {
            (Some(p), _) if p.label == "其他" || votes.contains_key(p.label.as_str()) => {
                (p.label.clone(), p.confidence)
            }
            (Some(p), Some((t, n))) => (t.clone(), (1.0 - p.confidence).max(*n as f64 / total as f64 / 2.0)),
            (Some(p), None) => ("其他".to_string(), 1.0 - p.confidence),
            (None, Some((t, n))) => (t.clone(), *n as f64 / total as f64),
            (None, None) => ("其他".to_string(), 0.0),
        };
        let mut matters: BTreeMap<&str, usize> = BTreeMap::new();
        for (t, m, _) in hits {
            if *t == focus_topic {
                *matters.entry(m).or_default() += 1;
            }
        }
        let focus_sub = matters
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(m, _)| m.to_string())
            .unwrap_or_else(|| if focus_topic == "其他" { "其他".into() } else { "未细分".into() });
        let mut terms: Vec<String> =
            hits.iter().filter(|(t, ..)| *t == focus_topic).map(|(.., w)| w.to_string()).collect();
        if let Some(p) = pred {
            terms.extend(p.terms.iter().cloned());
        }
        let mut seen = std::collections::BTreeSet::new();
        terms.retain(|t| seen.insert(t.clone()));
        terms.truncate(6);
        let class = self
            .file
            .matters
            .get(&focus_sub)
            .filter(|m| m.topic == focus_topic)
            .map(|m| m.class.clone())
            .or_else(|| self.file.topic_class.get(&focus_topic).cloned())
            .unwrap_or_else(|| "其他/其他".into());
        let class = if focus_topic == "其他" { self.other_class(text) } else { class };
        let (mut l1, mut l2) = split(&class);
        // the exporter's own national class wins where it names one
        if let Some(g) = given.map(str::trim).filter(|g| self.is_class(g)) {
            let (g1, g2) = split(g);
            if g1 != l1 {
                l2 = if g2.is_empty() { "其他".into() } else { g2 };
            } else if !g2.is_empty() {
                l2 = g2;
            }
            l1 = g1;
        }
        let lead = self.lead_of(&focus_sub).unwrap_or("属地").to_string();
        Topic { focus_topic, focus_sub, l1, l2, confidence, terms, lead }
    }

    /// A class for a case of no focus topic: class words, then the taxonomy's own
    /// second-level names found in the text.
    fn other_class(&self, text: &str) -> String {
        for (class, words) in &self.file.class_words {
            if words.iter().any(|w| text.contains(w.as_str())) {
                return class.clone();
            }
        }
        for (l1, subs) in &self.taxonomy {
            if let Some(s) = subs.iter().find(|s| s.chars().count() >= 3 && *s != "其他" && text.contains(s.as_str()))
            {
                return format!("{l1}/{s}");
            }
        }
        "其他/其他".into()
    }
}

fn split(class: &str) -> (String, String) {
    let (a, b) = class.split_once('/').unwrap_or((class, ""));
    (a.to_string(), b.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Lexicon;
    use crate::classify::model::Prediction;

    #[test]
    fn every_class_is_in_the_taxonomy() {
        let t = Topics::builtin();
        assert!(t.unknown_classes().is_empty(), "{:?}", t.unknown_classes());
        assert_eq!(t.taxonomy.len(), 19);
        assert_eq!(t.taxonomy.values().map(Vec::len).sum::<usize>(), 155);
    }

    #[test]
    fn lexicon_alone_decides_without_a_model() {
        let (t, lex) = (Topics::builtin(), Lexicon::builtin());
        let text = "开发商合同约定去年交房，现已逾期交房8个月，业主要求支付违约金";
        let topic = t.decide(None, &lex.hits(text), None, text);
        assert_eq!((topic.focus_topic.as_str(), topic.focus_sub.as_str()), ("房地产", "逾期交房"));
        assert_eq!((topic.l1.as_str(), topic.l2.as_str()), ("城乡建设", "住房保障与房地产"));
        assert!(topic.terms.contains(&"逾期交房".to_string()));
        assert_eq!(topic.lead, "住建");
        let road = "村里的道路坑洼不平";
        let topic = t.decide(None, &lex.hits(road), None, road);
        assert_eq!(topic.l1, "交通运输");
        // a model's topic with no word of it in the text gives way to the lexicons
        let school = "孩子入学划片的学校太远";
        let pred = Prediction { label: "房地产".into(), confidence: 0.97, terms: vec![] };
        let topic = t.decide(Some(&pred), &lex.hits(school), None, school);
        assert_eq!(topic.focus_topic, "教育");
        let pred = Prediction { label: "教育".into(), confidence: 0.9, terms: vec!["学位".into()] };
        assert_eq!(t.decide(Some(&pred), &lex.hits(school), None, school).confidence, 0.9);
        let given = t.decide(None, &lex.hits(text), Some("自然资源/不动产登记"), text);
        assert_eq!((given.l1.as_str(), given.l2.as_str()), ("自然资源", "不动产登记"));
    }
}
