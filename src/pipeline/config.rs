//! Pipeline files (`pipelines/daily.toml`, `weekly.toml`, `monthly.toml`): inputs, period,
//! deadline policy, stages and outputs of one run. Read as TOML and checked key by key, so
//! every problem in a file is reported at once with the key and a hint.

use std::path::{Path, PathBuf};

use toml::Value;

use crate::metrics::Policy;
pub use crate::model::Period;
use crate::{Error, Result};

pub const STAGES: &[&str] = &["ingest", "enrich", "review", "risk", "metrics", "cluster", "report"];
pub const OUTPUTS: &[&str] = &[
    "briefing.md",
    "briefing.html",
    "briefing.docx",
    "charts",
    "letters",
    "risk.xlsx",
    "overdue.xlsx",
    "replies.xlsx",
    "metrics.xlsx",
    "clusters.xlsx",
];

#[derive(Debug, Clone)]
pub struct Pipeline {
    pub path: PathBuf,
    pub name: String,
    pub title: String,
    /// Who signs the draft letters (发函单位).
    pub issuer: String,
    pub period: Period,
    /// Export files or folders, resolved against the pipeline file's folder.
    pub exports: Vec<PathBuf>,
    pub gazetteer: Option<PathBuf>,
    pub populations: Option<PathBuf>,
    /// `[inputs] no_pii = true`: keep no personal data (`persons` is not written, and
    /// dropped if an earlier ingest wrote it).
    pub no_pii: bool,
    pub policy: Policy,
    pub warn_days: i64,
    pub stages: Vec<String>,
    pub outputs: Vec<String>,
    /// Targets for the petition rates, in percent (考核目标), drawn against the rates.
    pub targets: Vec<(String, f64)>,
    /// Where the text stages run (`minqing run --scheduler`): `None` in this process, as one
    /// stage; otherwise as a partitioned query on that engine (see `enrich_sql`).
    pub scheduler: Option<String>,
}

impl Pipeline {
    pub fn load(path: &Path) -> Result<Pipeline> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::input(path, e.to_string()))?;
        Pipeline::parse(path, &text).map_err(|problems| Error::Config { path: path.to_path_buf(), problems })
    }

    pub fn parse(path: &Path, text: &str) -> std::result::Result<Pipeline, Vec<String>> {
        let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| vec![format!("not valid TOML: {e}")])?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut p = Problems(vec![]);
        p.known(
            &doc,
            "",
            &["name", "title", "issuer", "period", "inputs", "deadlines", "stages", "outputs", "targets"],
        );
        let name =
            p.string(&doc, "name", "a short name for the report folder, e.g. name = \"weekly\"").unwrap_or_default();
        if name.contains(['/', '\\']) {
            p.push("name", "must not contain a path separator");
        }
        let title = p.opt_string(&doc, "title").unwrap_or_else(|| "社情民意分析报告".into());
        let issuer = p.opt_string(&doc, "issuer").unwrap_or_else(|| "（发函单位）".into());
        let period = match p.string(&doc, "period", "one of \"day\", \"week\", \"month\"").as_deref() {
            Some("day") => Period::Day,
            Some("week") => Period::Week,
            Some("month") => Period::Month,
            Some(other) => {
                p.push("period", &format!("`{other}` is not a period; use \"day\", \"week\" or \"month\""));
                Period::Week
            }
            None => Period::Week,
        };
        let empty = toml::Table::new();
        let inputs = p.table(&doc, "inputs").unwrap_or(&empty);
        p.known(inputs, "inputs.", &["exports", "gazetteer", "populations", "no_pii"]);
        let no_pii = match inputs.get("no_pii") {
            None => false,
            Some(Value::Boolean(b)) => *b,
            Some(v) => {
                p.push("inputs.no_pii", &format!("`{v}` should be true or false"));
                false
            }
        };
        let exports: Vec<PathBuf> = match inputs.get("exports") {
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .filter_map(|(i, v)| match v.as_str() {
                    Some(s) => Some(base.join(s)),
                    None => {
                        p.push(&format!("inputs.exports[{i}]"), "must be a path in quotes");
                        None
                    }
                })
                .collect(),
            Some(_) => {
                p.push("inputs.exports", "must be a list of paths, e.g. exports = [\"exports/\"]");
                vec![]
            }
            None => vec![],
        };
        for e in &exports {
            if !e.exists() {
                p.push(
                    "inputs.exports",
                    &format!("{} does not exist (paths are relative to the pipeline file)", e.display()),
                );
            }
        }
        let mut file = |key: &str| {
            p.opt_string(inputs, key).map(|s| base.join(s)).filter(|f| {
                let ok = f.exists();
                if !ok {
                    p.push(&format!("inputs.{key}"), &format!("{} does not exist", f.display()));
                }
                ok
            })
        };
        let (gazetteer, populations) = (file("gazetteer"), file("populations"));
        let dl = p.table(&doc, "deadlines").unwrap_or(&empty);
        p.known(dl, "deadlines.", &["policy", "warn_days"]);
        let policy = match p.opt_string(dl, "policy").as_deref() {
            None | Some("statutory") => Policy::Statutory,
            Some("520") => Policy::Fast520,
            Some(other) => {
                p.push("deadlines.policy", &format!("`{other}` is not a policy; use \"statutory\" or \"520\""));
                Policy::Statutory
            }
        };
        let warn_days = match dl.get("warn_days") {
            None => 3,
            Some(Value::Integer(n)) if (0..=60).contains(n) => *n,
            Some(v) => {
                p.push("deadlines.warn_days", &format!("`{v}` should be a whole number of days from 0 to 60"));
                3
            }
        };
        let mut targets = vec![];
        if let Some(t) = p.table(&doc, "targets") {
            for (k, v) in t {
                let rates = crate::model::Measure::PETITION_RATES;
                let n = v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
                match n {
                    _ if !rates.iter().any(|r| r.as_str() == k) => {
                        let names: Vec<&str> = rates.iter().map(|r| r.as_str()).collect();
                        p.push(&format!("targets.{k}"), &format!("not a rate; rates: {}", names.join(", ")))
                    }
                    Some(n) if (0.0..=100.0).contains(&n) => targets.push((k.clone(), n)),
                    _ => p.push(&format!("targets.{k}"), &format!("`{v}` should be a percentage from 0 to 100")),
                }
            }
        }
        let stages = p.list(&doc, "stages", STAGES);
        let outputs = p.list(&doc, "outputs", OUTPUTS);
        let Problems(problems) = p;
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Pipeline {
            path: path.to_path_buf(),
            name,
            title,
            issuer,
            period,
            exports,
            gazetteer,
            populations,
            no_pii,
            policy,
            warn_days,
            stages: if stages.is_empty() { STAGES.iter().map(|s| s.to_string()).collect() } else { stages },
            outputs: if outputs.is_empty() { OUTPUTS.iter().map(|s| s.to_string()).collect() } else { outputs },
            targets,
            scheduler: None,
        })
    }

    /// The shipped `pipelines/weekly.toml` with its inputs pointed at a sample folder
    /// (exports/, gazetteer.csv, populations.csv): what `minqing demo` runs.
    pub fn weekly_for(sample: &Path) -> Result<Pipeline> {
        Self::shipped_for("weekly", include_str!("../../pipelines/weekly.toml"), sample)
    }

    /// The shipped `pipelines/daily.toml` pointed at a sample folder: the day's run of `bench`.
    pub fn daily_for(sample: &Path) -> Result<Pipeline> {
        Self::shipped_for("daily", include_str!("../../pipelines/daily.toml"), sample)
    }

    fn shipped_for(name: &str, text: &str, sample: &Path) -> Result<Pipeline> {
        let dir = std::path::absolute(sample).map_err(|e| Error::io(sample, e))?;
        let text = text.replace("../notebooks-data/sample", &dir.to_string_lossy().replace('\\', "/"));
        let path = dir.join(format!("{name}.toml"));
        let mut p = Pipeline::parse(&path, &text).map_err(|problems| Error::Config { path: path.clone(), problems })?;
        p.path = path;
        Ok(p)
    }

    pub fn runs(&self, stage: &str) -> bool {
        self.stages.iter().any(|s| s == stage)
    }

    pub fn writes(&self, output: &str) -> bool {
        self.outputs.iter().any(|s| s == output)
    }
}

struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, key: &str, problem: &str) {
        self.0.push(format!("{key}: {problem}"));
    }

    fn known(&mut self, t: &toml::Table, prefix: &str, keys: &[&str]) {
        for k in t.keys() {
            if !keys.contains(&k.as_str()) {
                self.push(&format!("{prefix}{k}"), &format!("unknown key; known here: {}", keys.join(", ")));
            }
        }
    }

    fn string(&mut self, t: &toml::Table, key: &str, hint: &str) -> Option<String> {
        match t.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => {
                self.push(key, &format!("`{v}` should be text in quotes: {hint}"));
                None
            }
            None => {
                self.push(key, &format!("missing: {hint}"));
                None
            }
        }
    }

    fn opt_string(&mut self, t: &toml::Table, key: &str) -> Option<String> {
        match t.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => {
                self.push(key, &format!("`{v}` should be text in quotes"));
                None
            }
            None => None,
        }
    }

    fn table<'a>(&mut self, t: &'a toml::Table, key: &str) -> Option<&'a toml::Table> {
        match t.get(key) {
            Some(Value::Table(x)) => Some(x),
            Some(_) => {
                self.push(key, &format!("should be a section: [{key}]"));
                None
            }
            None => None,
        }
    }

    fn list(&mut self, t: &toml::Table, key: &str, allowed: &[&str]) -> Vec<String> {
        let mut out = vec![];
        match t.get(key) {
            None => {}
            Some(Value::Array(a)) => {
                for v in a {
                    match v.as_str() {
                        Some(s) if allowed.contains(&s) => out.push(s.to_string()),
                        _ => self.push(key, &format!("`{v}` is not one of: {}", allowed.join(", "))),
                    }
                }
            }
            Some(_) => self.push(key, &format!("should be a list, e.g. {key} = [\"{}\"]", allowed[0])),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_pipelines_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
        for (f, period) in [("daily.toml", Period::Day), ("weekly.toml", Period::Week), ("monthly.toml", Period::Month)]
        {
            let p = Pipeline::load(&dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
            assert_eq!(p.period, period);
            assert!(!p.exports.is_empty());
        }
    }

    #[test]
    fn every_problem_is_listed_at_once() {
        let text = r#"
period = "fortnight"
colour = "red"
stages = ["ingest", "dance"]
[inputs]
exports = ["no/such/folder"]
[deadlines]
policy = "fast"
warn_days = 99
"#;
        let problems = Pipeline::parse(Path::new("/tmp/x.toml"), text).unwrap_err();
        let all = problems.join("\n");
        for expect in [
            "colour: unknown key",
            "name: missing",
            "period: `fortnight` is not a period",
            "inputs.exports: ",
            "deadlines.policy: `fast`",
            "deadlines.warn_days:",
            "stages: `\"dance\"` is not one of",
        ] {
            assert!(all.contains(expect), "{expect}\n{all}");
        }
        assert_eq!(problems.len(), 7, "{all}");
    }

    #[test]
    fn targets_are_rates_in_percent() {
        let ok = "name = \"w\"\nperiod = \"week\"\n[targets]\n\"满意率\" = 90\n\"按期办结率\" = 92.5\n";
        let p = Pipeline::parse(Path::new("/tmp/w.toml"), ok).unwrap();
        assert_eq!(p.targets, vec![("按期办结率".to_string(), 92.5), ("满意率".to_string(), 90.0)]);
        let bad = "name = \"w\"\nperiod = \"week\"\n[targets]\n\"好评率\" = 90\n\"满意率\" = 190\n";
        let problems = Pipeline::parse(Path::new("/tmp/w.toml"), bad).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("targets.好评率: not a rate"), "{problems:?}");
        assert!(problems[1].starts_with("targets.满意率: `190`"), "{problems:?}");
    }
}
