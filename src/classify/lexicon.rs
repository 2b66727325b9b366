//! Focus-topic lexicons (`models/lexicons.toml`): topic → matter → words.

use std::collections::BTreeMap;
use std::path::Path;

use crate::{Error, Result};

const BUILTIN: &str = include_str!("../../models/lexicons.toml");

/// Every (topic, matter, word), longest words first so the longest match is reported.
#[derive(Debug, Clone)]
pub struct Lexicon {
    pub topics: Vec<String>,
    entries: Vec<(String, String, String)>,
}

impl Lexicon {
    pub fn builtin() -> Lexicon {
        Lexicon::parse(BUILTIN, Path::new("models/lexicons.toml")).expect("built-in lexicon is valid")
    }

    pub fn load(path: &Path) -> Result<Lexicon> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Lexicon::parse(&text, path)
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
        Ok(Lexicon { topics: raw.keys().cloned().collect(), entries })
    }

    /// (topic, matter, word) for each lexicon word in the text (each word once).
    pub fn hits<'a>(&'a self, text: &str) -> Vec<(&'a str, &'a str, &'a str)> {
        self.entries
            .iter()
            .filter(|(_, _, w)| text.contains(w.as_str()))
            .map(|(t, m, w)| (t.as_str(), m.as_str(), w.as_str()))
            .collect()
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
