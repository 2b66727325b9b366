//! Focus-topic lexicons (`models/lexicons.toml`): topic → matter → words.

use std::collections::BTreeMap;
use std::path::Path;

use crate::{Error, Result};

const BUILTIN: &str = include_str!("../../models/lexicons.toml");

/// Every (topic, matter, word), longest words first so the longest match is reported.
#[derive(Debug, Clone)]
pub struct Lexicon {
    /// The topics, in the file's order.
    #[cfg(test)]
    pub topics: Vec<String>,
    entries: Vec<(String, String, String)>,
    /// One automaton over the distinct words: one pass over a text finds them all.
    words: aho_corasick::AhoCorasick,
    /// word index → the entries that list it
    word_entries: Vec<Vec<usize>>,
}

impl Lexicon {
    pub fn builtin() -> Lexicon {
        Lexicon::parse(BUILTIN, Path::new("models/lexicons.toml")).expect("built-in lexicon is valid")
    }

    pub fn parse(text: &str, path: &Path) -> Result<Lexicon> {
        let raw: BTreeMap<String, BTreeMap<String, Vec<String>>> = toml::from_str(text)
            .map_err(|e| Error::Config { path: path.to_path_buf(), problems: vec![e.to_string()] })?;
        let mut entries = vec![];
        let mut problems = vec![];
        for (topic, matters) in &raw {
            for (matter, words) in matters {
                if words.is_empty() {
                    problems.push(format!("[{topic}] {matter} lists no words"));
                }
                for w in words {
                    entries.push((topic.clone(), matter.clone(), w.clone()));
                }
            }
        }
        if !problems.is_empty() {
            return Err(Error::Config { path: path.to_path_buf(), problems });
        }
        entries.sort_by(|a, b| b.2.chars().count().cmp(&a.2.chars().count()).then(a.cmp(b)));
        let mut distinct: Vec<&str> = entries.iter().map(|e| e.2.as_str()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let word_entries = distinct
            .iter()
            .map(|w| entries.iter().enumerate().filter(|(_, e)| e.2 == *w).map(|(i, _)| i).collect())
            .collect();
        let words = aho_corasick::AhoCorasick::new(&distinct)
            .map_err(|e| Error::Config { path: path.to_path_buf(), problems: vec![e.to_string()] })?;
        Ok(Lexicon {
            #[cfg(test)]
            topics: raw.keys().cloned().collect(),
            entries,
            words,
            word_entries,
        })
    }

    /// (topic, matter, word) for each lexicon word in the text (each word once).
    pub fn hits<'a>(&'a self, text: &str) -> Vec<(&'a str, &'a str, &'a str)> {
        let mut found: Vec<usize> = self
            .words
            .find_overlapping_iter(text)
            .flat_map(|m| self.word_entries[m.pattern().as_usize()].iter().copied())
            .collect();
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|i| &self.entries[i]).map(|(t, m, w)| (t.as_str(), m.as_str(), w.as_str())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses_and_matches() {
        let l = Lexicon::builtin();
        assert!(l.topics.contains(&"房地产".to_string()) && l.topics.len() >= 12);
        let h = l.hits("开发商逾期交房，业主要求违约金");
        assert!(h.iter().any(|(t, m, w)| *t == "房地产" && *m == "逾期交房" && *w == "逾期交房"));
    }
}
