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
use rayon::prelude::*;
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

/// Union–find over node numbers: the stored keys first, in key order (so the smallest
/// number of a set is its smallest key), then the derived keys no row is keyed by.
struct Sets {
    parent: Vec<u32>,
}

impl Sets {
    fn find(&mut self, mut i: u32) -> u32 {
        while self.parent[i as usize] != i {
            let p = self.parent[self.parent[i as usize] as usize];
            self.parent[i as usize] = p;
            i = p;
        }
        i
    }

    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb) as usize] = ra.min(rb);
        }
    }
}

/// A stored key as the number its 24 lowercase hex digits spell; none for any other text
/// (such a key equals no derived key).
fn key_bits(k: &str) -> Option<u128> {
    (k.len() == 24 && k.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .then(|| u128::from_str_radix(k, 16).ok())
        .flatten()
}

/// A cell of a text column, none when null or empty.
fn opt(a: &StringArray, i: usize) -> Option<&str> {
    a.is_valid(i).then(|| a.value(i)).filter(|s| !s.is_empty())
}

/// One row of `persons` as linking reads it: person_key, source, case_id, name, id_number,
/// phone.
pub type PersonRow<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>);

fn text<'b>(b: &'b RecordBatch, name: &str) -> Result<&'b StringArray> {
    b.column_by_name(name)
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or_else(|| Error::Schema(format!("`persons` has no text column `{name}`; the warehouse was edited")))
}

/// The person_id of every person key that has another one, from the rows of `persons`
/// and the county of message-board cases.
pub fn links<'a>(
    rows: &[PersonRow<'a>],
    county: &HashMap<(&str, &str), &str>,
    key: &PersonKey,
) -> (Vec<(&'a str, &'a str)>, LinkReport) {
    // the keys each identifier alone would give, worked out on all cores (a keyed hash each)
    let derived: Vec<[Option<u128>; 3]> = rows
        .par_iter()
        .map(|&(_, source, case_id, name, id, phone)| {
            // a message-board account is one person within its county
            let account = (source == "message").then(|| county.get(&(source, case_id)).copied());
            [
                id.and_then(|id| key.person_key_bits(Some(id), None, None, None)),
                phone.and_then(|p| key.person_key_bits(None, Some(p), None, None)),
                account.and_then(|region| name.and_then(|n| key.person_key_bits(None, None, Some(n), region))),
            ]
        })
        .collect();
    // the stored keys in order: node i is keys[i]
    let keys: Vec<&'a str> = {
        let mut v: Vec<&str> = rows.iter().map(|r| r.0).collect();
        v.par_sort_unstable();
        v.dedup();
        v
    };
    let node_of_bits: HashMap<u128, u32> =
        keys.iter().enumerate().filter_map(|(i, k)| Some((key_bits(k)?, i as u32))).collect();
    let node_of_row: Vec<u32> = rows
        .par_iter()
        .map(|r| match key_bits(r.0) {
            Some(b) => node_of_bits[&b],
            None => keys.binary_search(&r.0).map_or(0, |i| i as u32),
        })
        .collect();
    let mut sets = Sets { parent: (0..keys.len() as u32).collect() };
    // a derived key that is also stored is that node; the others get nodes after the keys
    let mut extra: HashMap<u128, u32> = HashMap::with_capacity_and_hasher(rows.len(), Default::default());
    for (&me, others) in node_of_row.iter().zip(derived) {
        for other in others.into_iter().flatten() {
            let o = match node_of_bits.get(&other) {
                Some(&o) => o,
                None => *extra.entry(other).or_insert_with(|| {
                    sets.parent.push(sets.parent.len() as u32);
                    (sets.parent.len() - 1) as u32
                }),
            };
            sets.union(me, o);
        }
    }
    let roots: Vec<u32> = (0..keys.len() as u32).map(|i| sets.find(i)).collect();
    // the root of a set of keys is its smallest key's node
    let out = keys
        .iter()
        .zip(&roots)
        .enumerate()
        .filter(|(i, (_, r))| **r as usize != *i)
        .map(|(_, (&k, &r))| (k, keys[r as usize]))
        .collect();
    let mut size: HashMap<u32, usize> = HashMap::with_capacity_and_hasher(keys.len(), Default::default());
    for &r in &roots {
        *size.entry(r).or_default() += 1;
    }
    let report = LinkReport {
        keys: keys.len(),
        people: size.len(),
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
    let t = std::time::Instant::now();
    let persons_batches = read_table(wh, table::PERSONS)?;
    let mut rows: Vec<PersonRow> = vec![];
    let mut addresses: Vec<Option<&str>> = vec![];
    for b in &persons_batches {
        let (k, src, id, name, idn, ph) = (
            text(b, persons::PERSON_KEY)?,
            text(b, persons::SOURCE)?,
            text(b, persons::CASE_ID)?,
            text(b, persons::NAME)?,
            text(b, persons::ID_NUMBER)?,
            text(b, persons::PHONE)?,
        );
        // an older warehouse's persons have no address: read as none
        let addr = b.column_by_name(persons::ADDRESS).and_then(|c| c.as_string_opt::<i32>());
        for i in 0..b.num_rows() {
            rows.push((k.value(i), src.value(i), id.value(i), opt(name, i), opt(idn, i), opt(ph, i)));
            addresses.push(addr.and_then(|a| opt(a, i)));
        }
    }
    // 问题属地 of every case with a person (county, town)
    let wanted: rustc_hash::FxHashSet<(&str, &str)> = rows.iter().map(|r| (r.1, r.2)).collect();
    let cols = [cases::SOURCE, cases::CASE_ID, cases::REGION_COUNTY, cases::REGION_TOWN];
    let case_batches = read_table_columns(wh, table::CASES, Some(&cols))?;
    // (source, case_id) → (county, town)
    type Where<'c> = (Option<&'c str>, Option<&'c str>);
    type Place<'c> = ((&'c str, &'c str), Where<'c>);
    let mut place: HashMap<(&str, &str), Where> = HashMap::with_capacity_and_hasher(wanted.len(), Default::default());
    // the cases with a person found on all cores, then kept in the table's order
    let found: Vec<Vec<Place>> = case_batches
        .par_iter()
        .map(|b| {
            let (s, c) = (b.column(0).as_string::<i32>(), b.column(1).as_string::<i32>());
            let (r, t) = (b.column(2).as_string::<i32>(), b.column(3).as_string::<i32>());
            (0..b.num_rows())
                .filter(|&i| wanted.contains(&(s.value(i), c.value(i))))
                .map(|i| ((s.value(i), c.value(i)), (opt(r, i), opt(t, i))))
                .collect()
        })
        .collect();
    place.extend(found.into_iter().flatten());
    tracing::debug!("link: {} persons rows and their cases' places read at {:.2?}", rows.len(), t.elapsed());
    let county: HashMap<(&str, &str), &str> =
        place.iter().filter(|((s, _), _)| *s == "message").filter_map(|(k, (c, _))| Some((*k, (*c)?))).collect();
    let (pairs, report) = links(&rows, &county, key);
    tracing::debug!("link: {} people linked at {:.2?}", report.people, t.elapsed());
    let cols: Vec<ArrayRef> = vec![
        Arc::new(pairs.iter().map(|p| Some(p.0)).collect::<StringArray>()),
        Arc::new(pairs.iter().map(|p| Some(p.1)).collect::<StringArray>()),
    ];
    let batch = RecordBatch::try_new(person_links_schema(), cols)?;
    let people: Vec<Seen> = rows
        .iter()
        .zip(&addresses)
        .map(|(r, a)| {
            let (county, town) = place.get(&(r.1, r.2)).copied().unwrap_or_default();
            Seen { source: r.1, case_id: r.2, county, town, id_number: r.4, address: *a }
        })
        .collect();
    let cross = super::cross_region::find(&people);
    tracing::debug!("link: {} cases across regions found at {:.2?}", cross.len(), t.elapsed());
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

    fn row<'a>(
        k: &'a str,
        source: &'a str,
        case: &'a str,
        name: &'a str,
        id: &'a str,
        phone: &'a str,
    ) -> PersonRow<'a> {
        let o = |s: &'a str| (!s.is_empty()).then_some(s);
        (k, source, case, o(name), o(id), o(phone))
    }

    #[test]
    fn an_id_number_and_a_phone_on_one_petition_join_the_counter_and_the_hotline() {
        let key = PersonKey::from_secret(b"test");
        let k = |id: Option<&str>, ph: Option<&str>, name: Option<&str>, region: Option<&str>| {
            key.person_key(id, ph, name, region).unwrap()
        };
        let (id_a, ph_a, ph_b) = ("430102198001011234", "13812345678", "13987654321");
        let ks = [
            k(Some(id_a), Some(ph_a), None, None),
            k(None, Some(ph_a), None, None),
            k(None, Some(ph_a), Some("老张说事"), None),
            k(None, None, Some("老张说事"), Some("青溪县")),
            k(None, Some(ph_b), Some("张三"), None),
            k(None, None, Some("李四"), Some("青溪县")),
        ];
        let rows = vec![
            // A at the counter: ID number and phone
            row(&ks[0], "petition", "P1", "张三", id_a, ph_a),
            // A on 12345 by phone only, twice
            row(&ks[1], "hotline", "H1", "张先生", "", ph_a),
            row(&ks[1], "hotline", "H2", "", "", ph_a),
            // A's message-board account, once with the phone and once without
            row(&ks[2], "message", "M1", "老张说事", "", ph_a),
            row(&ks[3], "message", "M2", "老张说事", "", ""),
            // B: another 张三 at the counter, never tied to A
            row(&ks[4], "petition", "P2", "张三", "", ph_b),
            row(&ks[5], "petition", "P3", "李四", "", ""),
        ];
        let county: HashMap<(&str, &str), &str> =
            [("M1", "青溪县"), ("M2", "青溪县")].map(|(c, r)| (("message", c), r)).into_iter().collect();
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
        for &(k, p) in &pairs {
            assert!(a_keys.iter().any(|a| a == k) && p == a_id && k != a_id, "{k} → {p}");
        }
    }
}
