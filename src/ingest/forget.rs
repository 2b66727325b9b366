//! Erasure (个人信息保护法 第四十七条): a person asks to be forgotten, or the retention period
//! ends. `minqing forget` finds the person's keys (given, or from an ID number or a phone —
//! keyed the way ingest keys them and looked up in `persons`), deletes their `persons`
//! rows, blanks `person_key` in `cases` and `risk`, and deletes their rows of `risk_groups`
//! (petitioner) and `metrics` (person). Each table is rewritten in one commit and the
//! parts it supersedes are deleted, so no byte of the raw identifiers stays on disk.
//!
//! An old export sent again does not bring the person back: its rows are versions already
//! seen (`case_versions`), so they are unchanged. A new export that names them does.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, StringArray};
use arrow::compute::filter_record_batch;
use arrow::record_batch::RecordBatch;
use rustc_hash::FxHashSet;

use crate::normalize::PersonKey;
use crate::normalize::pii::{digits_only, normalize_id};
use crate::schema::{metrics, person_links, persons, risk_groups, table};
use crate::warehouse::{Warehouse, read_table};
use crate::{Error, Result};

/// Whom to forget: any mix of keys, ID numbers and phones.
#[derive(Debug, Clone, Default)]
pub struct Who {
    pub person_keys: Vec<String>,
    pub id_numbers: Vec<String>,
    pub phones: Vec<String>,
}

/// What `forget` did, per table: rows deleted and rows whose person_key was blanked.
#[derive(Debug, Clone, Default)]
pub struct ForgetReport {
    pub keys: usize,
    pub tables: BTreeMap<String, (u64, u64)>,
    pub commit: Option<u64>,
    /// Files deleted from disk after the commit: every older version of every table.
    pub vacuumed: usize,
}

impl fmt::Display for ForgetReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "person keys looked for: {}", self.keys)?;
        for (t, (deleted, blanked)) in &self.tables {
            writeln!(f, "  {t:<12} deleted {deleted}, person_key blanked {blanked}")?;
        }
        match self.commit {
            Some(c) => write!(
                f,
                "commit {c}: {} superseded files deleted (every older version of the warehouse: time travel now starts here)",
                self.vacuumed
            ),
            None => write!(f, "nothing stored for this person; nothing changed"),
        }
    }
}

/// The person keys `who` names: given keys, keys of the given ID numbers and phones, and the
/// keys `persons` holds beside them — following the identifiers a register ties together
/// (an ID number and a phone on one petition) until no new one turns up.
fn keys_of(wh: &Warehouse, key: &PersonKey, who: &Who) -> Result<FxHashSet<String>> {
    let mut keys: FxHashSet<String> = who.person_keys.iter().map(|k| k.trim().to_string()).collect();
    keys.extend(who.id_numbers.iter().filter_map(|id| key.person_key(Some(id), None, None, None)));
    keys.extend(who.phones.iter().filter_map(|p| key.person_key(None, Some(p), None, None)));
    let mut ids: FxHashSet<String> = who.id_numbers.iter().map(|s| normalize_id(s)).filter(|s| !s.is_empty()).collect();
    let mut phones: FxHashSet<String> = who.phones.iter().map(|s| digits_only(s)).filter(|s| s.len() >= 7).collect();
    // (person_key, normalized ID number, phone digits) of every persons row
    let mut rows = vec![];
    for b in read_table(wh, table::PERSONS)? {
        let k = string_column(&b, persons::PERSON_KEY)?;
        let id = string_column(&b, persons::ID_NUMBER)?;
        let ph = string_column(&b, persons::PHONE)?;
        for i in 0..b.num_rows() {
            let id = (!id.is_null(i)).then(|| normalize_id(id.value(i))).filter(|s| !s.is_empty());
            let ph = (!ph.is_null(i)).then(|| digits_only(ph.value(i))).filter(|s| s.len() >= 7);
            rows.push((k.value(i).to_string(), id, ph));
        }
    }
    loop {
        let before = keys.len() + ids.len() + phones.len();
        for (k, id, ph) in &rows {
            let hit = keys.contains(k)
                || id.as_ref().is_some_and(|x| ids.contains(x))
                || ph.as_ref().is_some_and(|x| phones.contains(x));
            if hit {
                keys.insert(k.clone());
                ids.extend(id.clone());
                phones.extend(ph.clone());
            }
        }
        if keys.len() + ids.len() + phones.len() == before {
            break;
        }
    }
    keys.retain(|k| !k.is_empty());
    Ok(keys)
}

fn string_column<'b>(b: &'b RecordBatch, name: &str) -> Result<&'b StringArray> {
    b.column_by_name(name)
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or_else(|| Error::Schema(format!("text column `{name}` is missing; the warehouse was edited")))
}

/// How one table forgets: rows to delete, and the column whose key is blanked.
struct Rule {
    table: &'static str,
    /// Delete rows where one of the `columns` holds a key, where `only` (column, value) matches too.
    delete: Option<(&'static [&'static str], Option<(&'static str, &'static str)>)>,
    blank: Option<&'static str>,
}

const RULES: &[Rule] = &[
    Rule { table: table::PERSONS, delete: Some((&[persons::PERSON_KEY], None)), blank: None },
    Rule {
        table: table::PERSON_LINKS,
        delete: Some((&[person_links::PERSON_KEY, person_links::PERSON_ID], None)),
        blank: None,
    },
    Rule { table: table::CASES, delete: None, blank: Some(crate::schema::cases::PERSON_KEY) },
    Rule { table: table::RISK, delete: None, blank: Some(crate::schema::risk::PERSON_KEY) },
    Rule {
        table: table::RISK_GROUPS,
        delete: Some((&[risk_groups::KEY], Some((risk_groups::KIND, "petitioner")))),
        blank: None,
    },
    Rule { table: table::METRICS, delete: Some((&[metrics::KEY], Some((metrics::DIMENSION, "person")))), blank: None },
];

/// One batch with the rule applied: (batch, rows deleted, keys blanked).
fn apply(rule: &Rule, b: &RecordBatch, keys: &FxHashSet<String>) -> Result<(RecordBatch, u64, u64)> {
    let mut b = b.clone();
    let mut deleted = 0;
    if let Some((cols, only)) = rule.delete {
        let ks = cols.iter().map(|c| string_column(&b, c)).collect::<Result<Vec<_>>>()?;
        let scope = only.map(|(c, v)| string_column(&b, c).map(|a| (a, v))).transpose()?;
        let keep: BooleanArray = (0..b.num_rows())
            .map(|i| {
                let named = ks.iter().any(|k| !k.is_null(i) && keys.contains(k.value(i)));
                let in_scope = scope.is_none_or(|(a, v)| !a.is_null(i) && a.value(i) == v);
                Some(!(named && in_scope))
            })
            .collect();
        deleted = (b.num_rows() - keep.true_count()) as u64;
        b = filter_record_batch(&b, &keep)?;
    }
    let mut blanked = 0;
    if let Some(col) = rule.blank {
        let idx =
            b.schema().index_of(col).map_err(|_| Error::Schema(format!("`{col}` is missing in {}", rule.table)))?;
        let k = b.column(idx).as_string::<i32>();
        let new: StringArray = (0..b.num_rows())
            .map(|i| {
                if k.is_null(i) {
                    None
                } else if keys.contains(k.value(i)) {
                    blanked += 1;
                    None
                } else {
                    Some(k.value(i))
                }
            })
            .collect();
        let mut cols: Vec<ArrayRef> = b.columns().to_vec();
        cols[idx] = Arc::new(new);
        b = RecordBatch::try_new(b.schema(), cols)?;
    }
    Ok((b, deleted, blanked))
}

/// Forget a person in every table, in one commit.
pub fn forget(wh: &Warehouse, key: &PersonKey, who: &Who) -> Result<ForgetReport> {
    if who.person_keys.is_empty() && who.id_numbers.is_empty() && who.phones.is_empty() {
        return Err(Error::Usage("name the person: a person key, an ID number or a phone".into()));
    }
    let keys = keys_of(wh, key, who)?;
    let mut report = ForgetReport { keys: keys.len(), ..Default::default() };
    let mut tx = wh.begin()?;
    for rule in RULES {
        if wh.parts(rule.table)?.is_empty() {
            continue;
        }
        // streamed: a table is rewritten batch by batch, in its schema's column order
        let schema = crate::schema::schema_of(rule.table)?;
        let mut part = tx.part_writer(rule.table)?;
        let (mut deleted, mut blanked) = (0, 0);
        for b in read_table(wh, rule.table)? {
            let (b, d, k) = apply(rule, &b, &keys)?;
            deleted += d;
            blanked += k;
            let cols = schema
                .fields()
                .iter()
                .map(|f| {
                    b.column_by_name(f.name()).cloned().ok_or_else(|| {
                        Error::Schema(format!(
                            "`{}` is missing in {}; re-run the stage that writes it",
                            f.name(),
                            rule.table
                        ))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            part.write(&RecordBatch::try_new(schema.clone(), cols)?)?;
        }
        if deleted + blanked > 0 {
            tx.replace_with(rule.table, part)?;
            report.tables.insert(rule.table.to_string(), (deleted, blanked));
        } else {
            let path = part.path().to_path_buf();
            part.finish()?;
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    wh.owe_vacuum()?;
    let commit = tx.commit("forget", serde_json::json!({ "person_keys": keys.len() }))?;
    report.commit = (!commit.tables.is_empty()).then_some(commit.seq);
    // what was read from the person's identifiers (the places of cross_region) goes too
    super::people::link(wh, key)?;
    // the person is in the files the commit replaced: no version before it may stay
    report.vacuumed = wh.vacuum(chrono::Duration::zero())?;
    Ok(report)
}
