//! One person across sources: the identifiers a register ties together — an ID number and a
//! phone on one petition, a phone on a 12345 order, a message-board account with a phone —
//! make one person (union–find over `persons`). Each person key of a linked person maps to
//! one `person_id`: the smallest of the person's keys, so it is keyed like `person_key` and
//! never raw. `person_links` keeps only the keys whose person_id differs from themselves;
//! everything that counts people (repeats, 老户, escalation paths, risk history) reads the
//! person_id through the case facts.
//!
//! Names are not linked across registers (two 张伟 are two people); a message-board
//! account name is, within its county, as ingest keys it.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use rustc_hash::FxHashMap as HashMap;

use super::cross_region::Seen;
use crate::normalize::pii::PersonKey;
use crate::schema::{cases, person_links_schema, persons, table};
use crate::warehouse::{Warehouse, read_table, read_table_columns};
use crate::{Error, Result};

/// What linking found.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LinkReport {
    /// Distinct person keys in `persons`.
    pub keys: usize,
    /// People after linking.
    pub people: usize,
    /// People who carry two keys or more.
    pub linked_people: usize,
    /// Cases whose 问题属地, household registration and residence are not one place.
    pub cross_region: usize,
}

impl std::fmt::Display for LinkReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "people: {} person keys are {} people ({} people known by two identifiers or more); {} cases cross regions",
            self.keys, self.people, self.linked_people, self.cross_region
        )
    }
}

/// Union–find over strings.
#[derive(Default)]
struct Sets {
    index: HashMap<String, usize>,
    parent: Vec<usize>,
}

impl Sets {
    fn id(&mut self, k: &str) -> usize {
        if let Some(&i) = self.index.get(k) {
            return i;
        }
        let i = self.parent.len();
        self.parent.push(i);
        self.index.insert(k.to_string(), i);
        i
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, a: &str, b: &str) {
        let (a, b) = (self.id(a), self.id(b));
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }
}

fn text<'b>(b: &'b RecordBatch, name: &str) -> Result<&'b StringArray> {
    b.column_by_name(name)
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or_else(|| Error::Schema(format!("`persons` has no text column `{name}`; the warehouse was edited")))
}

/// The person_id of every person key that has another one, from the rows of `persons`
/// (person_key, source, case_id, name, id_number, phone) and the county of message-board cases.
pub fn links(
    rows: &[(String, String, String, Option<String>, Option<String>, Option<String>)],
    county: &HashMap<(String, String), String>,
    key: &PersonKey,
) -> (Vec<(String, String)>, LinkReport) {
    let mut sets = Sets::default();
    for (k, source, case_id, name, id, phone) in rows {
        sets.id(k);
        if let Some(other) = id.as_deref().and_then(|id| key.person_key(Some(id), None, None, None)) {
            sets.union(k, &format!("~{other}"));
        }
        if let Some(other) = phone.as_deref().and_then(|p| key.person_key(None, Some(p), None, None)) {
            sets.union(k, &format!("~{other}"));
        }
        // a message-board account is one person within its county
        if source == "message" {
            let region = county.get(&(source.clone(), case_id.clone())).map(String::as_str);
            if let Some(other) = name.as_deref().and_then(|n| key.person_key(None, None, Some(n), region)) {
                sets.union(k, &format!("~{other}"));
            }
        }
    }
    // the person's keys that stand in `persons` (derived identifiers are prefixed with ~ and
    // join only when a row keyed by them exists: ~k and k are the same key)
    let keys: Vec<String> = {
        let mut v: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
        v.sort();
        v.dedup();
        v
    };
    for k in &keys {
        sets.union(k, &format!("~{k}"));
    }
    let mut smallest: HashMap<usize, &str> = HashMap::default();
    let mut size: HashMap<usize, usize> = HashMap::default();
    for k in &keys {
        let i = sets.id(k);
        let r = sets.find(i);
        smallest.entry(r).or_insert(k.as_str()); // keys are sorted: the first is the smallest
        *size.entry(r).or_default() += 1;
    }
    let mut out = vec![];
    for k in &keys {
        let i = sets.id(k);
        let r = sets.find(i);
        if smallest[&r] != k {
            out.push((k.clone(), smallest[&r].to_string()));
        }
    }
    let report = LinkReport {
        keys: keys.len(),
        people: smallest.len(),
        linked_people: size.values().filter(|n| **n > 1).count(),
        cross_region: 0,
    };
    (out, report)
}

/// Whether `person_links` is older than `persons` (an ingest stopped between the two
/// commits), or stands without it.
pub fn is_stale(wh: &Warehouse) -> Result<bool> {
    Ok(match (wh.last_commit_of(table::PERSONS)?, wh.last_commit_of(table::PERSON_LINKS)?) {
        (Some(p), Some(l)) => l < p,
        (None, None) => false,
        _ => true,
    })
}

/// Link the people of `persons` and replace `person_links` (nothing without `persons`).
pub fn link(wh: &Warehouse, key: &PersonKey) -> Result<Option<LinkReport>> {
    if wh.parts(table::PERSONS)?.is_empty() {
        // no personal data kept (--no-pii): no links either
        if !wh.parts(table::PERSON_LINKS)?.is_empty() {
            let mut tx = wh.begin()?;
            tx.drop_table(table::PERSON_LINKS);
            if !wh.parts(table::CROSS_REGION)?.is_empty() {
                tx.drop_table(table::CROSS_REGION);
            }
            tx.commit("link", serde_json::json!({"keys": 0}))?;
        }
        return Ok(None);
    }
    let mut rows = vec![];
    let mut addresses: Vec<Option<String>> = vec![];
    for b in read_table(wh, table::PERSONS)? {
        let (k, src, id, name, idn, ph) = (
            text(&b, persons::PERSON_KEY)?,
            text(&b, persons::SOURCE)?,
            text(&b, persons::CASE_ID)?,
            text(&b, persons::NAME)?,
            text(&b, persons::ID_NUMBER)?,
            text(&b, persons::PHONE)?,
        );
        // an older warehouse's persons have no address: read as none
        let addr = b.column_by_name(persons::ADDRESS).and_then(|c| c.as_string_opt::<i32>());
        let opt = |a: &StringArray, i: usize| a.is_valid(i).then(|| a.value(i).to_string()).filter(|s| !s.is_empty());
        for i in 0..b.num_rows() {
            rows.push((
                k.value(i).to_string(),
                src.value(i).to_string(),
                id.value(i).to_string(),
                opt(name, i),
                opt(idn, i),
                opt(ph, i),
            ));
            addresses.push(addr.and_then(|a| opt(a, i)));
        }
    }
    // 问题属地 of every case (county, town)
    let mut place: HashMap<(String, String), (Option<String>, Option<String>)> = HashMap::default();
    let cols = [cases::SOURCE, cases::CASE_ID, cases::REGION_COUNTY, cases::REGION_TOWN];
    for b in read_table_columns(wh, table::CASES, Some(&cols))? {
        let (s, c) = (b.column(0).as_string::<i32>(), b.column(1).as_string::<i32>());
        let (r, t) = (b.column(2).as_string::<i32>(), b.column(3).as_string::<i32>());
        let opt = |a: &StringArray, i: usize| a.is_valid(i).then(|| a.value(i).to_string()).filter(|x| !x.is_empty());
        for i in 0..b.num_rows() {
            place.insert((s.value(i).to_string(), c.value(i).to_string()), (opt(r, i), opt(t, i)));
        }
    }
    let county: HashMap<(String, String), String> = place
        .iter()
        .filter(|((s, _), _)| s == "message")
        .filter_map(|(k, (c, _))| Some((k.clone(), c.clone()?)))
        .collect();
    let (pairs, report) = links(&rows, &county, key);
    let cols: Vec<ArrayRef> = vec![
        Arc::new(pairs.iter().map(|p| Some(p.0.as_str())).collect::<StringArray>()),
        Arc::new(pairs.iter().map(|p| Some(p.1.as_str())).collect::<StringArray>()),
    ];
    let batch = RecordBatch::try_new(person_links_schema(), cols)?;
    let people: Vec<Seen> = rows
        .iter()
        .zip(&addresses)
        .map(|(r, a)| {
            let (county, town) = place.get(&(r.1.clone(), r.2.clone())).cloned().unwrap_or_default();
            Seen { source: r.1.clone(), case_id: r.2.clone(), county, town, id_number: r.4.clone(), address: a.clone() }
        })
        .collect();
    let cross = super::cross_region::find(&people);
    let mut tx = wh.begin()?;
    tx.replace(table::PERSON_LINKS, &[batch])?;
    tx.replace(table::CROSS_REGION, &[super::cross_region::batch(&cross)?])?;
    tx.commit("link", serde_json::json!({"keys": report.keys, "people": report.people, "cross_region": cross.len()}))?;
    let mut report = report;
    report.cross_region = cross.len();
    Ok(Some(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        k: &str,
        source: &str,
        case: &str,
        name: &str,
        id: &str,
        phone: &str,
    ) -> (String, String, String, Option<String>, Option<String>, Option<String>) {
        let o = |s: &str| (!s.is_empty()).then(|| s.to_string());
        (k.into(), source.into(), case.into(), o(name), o(id), o(phone))
    }

    #[test]
    fn an_id_number_and_a_phone_on_one_petition_join_the_counter_and_the_hotline() {
        let key = PersonKey::from_secret(b"test");
        let k = |id: Option<&str>, ph: Option<&str>, name: Option<&str>, region: Option<&str>| {
            key.person_key(id, ph, name, region).unwrap()
        };
        let (id_a, ph_a, ph_b) = ("430102198001011234", "13812345678", "13987654321");
        let rows = vec![
            // A at the counter: ID number and phone
            row(&k(Some(id_a), Some(ph_a), None, None), "petition", "P1", "张三", id_a, ph_a),
            // A on 12345 by phone only, twice
            row(&k(None, Some(ph_a), None, None), "hotline", "H1", "张先生", "", ph_a),
            row(&k(None, Some(ph_a), None, None), "hotline", "H2", "", "", ph_a),
            // A's message-board account, once with the phone and once without
            row(&k(None, Some(ph_a), Some("老张说事"), None), "message", "M1", "老张说事", "", ph_a),
            row(&k(None, None, Some("老张说事"), Some("青溪县")), "message", "M2", "老张说事", "", ""),
            // B: another 张三 at the counter, never tied to A
            row(&k(None, Some(ph_b), Some("张三"), None), "petition", "P2", "张三", "", ph_b),
            row(&k(None, None, Some("李四"), Some("青溪县")), "petition", "P3", "李四", "", ""),
        ];
        let county: HashMap<(String, String), String> = [("M1", "青溪县"), ("M2", "青溪县")]
            .map(|(c, r)| (("message".to_string(), c.to_string()), r.to_string()))
            .into_iter()
            .collect();
        let (pairs, report) = links(&rows, &county, &key);
        // A has three keys (ID, phone, account), B one, 李四 one
        assert_eq!(report, LinkReport { keys: 5, people: 3, linked_people: 1, cross_region: 0 });
        let a_keys = [
            k(Some(id_a), None, None, None),
            k(None, Some(ph_a), None, None),
            k(None, None, Some("老张说事"), Some("青溪县")),
        ];
        let a_id = a_keys.iter().min().unwrap();
        assert_eq!(pairs.len(), 2);
        for (k, p) in &pairs {
            assert!(a_keys.contains(k) && p == a_id && k != a_id, "{k} → {p}");
        }
    }
}
