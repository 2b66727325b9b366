//! Near-duplicates: the same complaint sent again, by the same person or copied by others.
//!
//! Each text becomes a set of character 3-grams (letters, digits and CJK only), sketched
//! by one-permutation MinHash (`K` bins, one hash per shingle, empty bins filled from the
//! next bin) so a sketch costs one pass over the text. Locality-sensitive hashing over
//! `BANDS` bands of `ROWS` bins proposes candidates; within a band bucket each member is
//! checked against the bucket's first member only, so work stays linear even when
//! thousands of texts share a bucket. Pairs whose estimated Jaccard similarity reaches
//! `threshold` are joined (union-find) into near-duplicate groups.

use rustc_hash::FxHashMap as HashMap;

use rayon::prelude::*;

pub const K: usize = 64;
pub const BANDS: usize = 16;
pub const ROWS: usize = K / BANDS;
/// Default estimated Jaccard similarity for two texts to be near-duplicates.
pub const THRESHOLD: f64 = 0.7;

fn mix(mut x: u64) -> u64 {
    // splitmix64 finaliser
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The MinHash sketch of a text; `None` when it has fewer than 3 usable characters.
pub fn sketch(text: &str) -> Option<[u32; K]> {
    let chars: Vec<u32> = text.chars().filter(|&c| crate::text::is_word_char(c)).map(|c| c as u32).collect();
    if chars.len() < 3 {
        return None;
    }
    let mut bins = [u32::MAX; K];
    for w in chars.windows(3) {
        let h = mix((u64::from(w[0]) << 42) ^ (u64::from(w[1]) << 21) ^ u64::from(w[2]));
        let bin = (h % K as u64) as usize;
        let v = (h >> 32) as u32;
        if v < bins[bin] {
            bins[bin] = v;
        }
    }
    // densify: an empty bin borrows from the next filled one (rotation), salted by distance
    for i in 0..K {
        if bins[i] == u32::MAX {
            let mut j = 1;
            while bins[(i + j) % K] == u32::MAX && j < K {
                j += 1;
            }
            let src = bins[(i + j) % K];
            bins[i] = if src == u32::MAX { u32::MAX } else { (mix(u64::from(src) ^ ((j as u64) << 40)) >> 32) as u32 };
        }
    }
    Some(bins)
}

/// A sketch as stored (`enriched.sketch`): its bins as little-endian u32s.
pub fn to_bytes(s: &[u32; K]) -> Vec<u8> {
    s.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A stored sketch back; `None` when the bytes are not one.
pub fn from_bytes(b: &[u8]) -> Option<[u32; K]> {
    if b.len() != 4 * K {
        return None;
    }
    let mut s = [0u32; K];
    for (v, c) in s.iter_mut().zip(b.chunks_exact(4)) {
        *v = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    Some(s)
}

/// Estimated Jaccard similarity of two sketches.
pub fn similarity(a: &[u32; K], b: &[u32; K]) -> f64 {
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / K as f64
}

fn find(parent: &mut [u32], mut i: u32) -> u32 {
    while parent[i as usize] != i {
        parent[i as usize] = parent[parent[i as usize] as usize];
        i = parent[i as usize];
    }
    i
}

/// Near-duplicate group of each text: the index of the group's first member, or `None`
/// for a text with no near-duplicate.
#[cfg(test)]
pub fn groups(texts: &[&str], threshold: f64) -> Vec<Option<usize>> {
    let sketches: Vec<Option<[u32; K]>> = texts.par_iter().map(|t| sketch(t)).collect();
    groups_of(&sketches, threshold)
}

/// Near-duplicate groups of texts already sketched (`None`: too short to have a sketch).
pub fn groups_of(sketches: &[Option<[u32; K]>], threshold: f64) -> Vec<Option<usize>> {
    let n = sketches.len();
    // each band's pairs found on its own core: a bucket's members are checked against its
    // first member, which does not depend on the other bands
    let pairs: Vec<Vec<(u32, u32)>> = (0..BANDS)
        .into_par_iter()
        .map(|band| {
            let mut pairs = vec![];
            let mut buckets: HashMap<u64, u32> = HashMap::with_capacity_and_hasher(n, Default::default());
            for (i, s) in sketches.iter().enumerate() {
                let Some(s) = s else { continue };
                let rows = &s[band * ROWS..(band + 1) * ROWS];
                let key = rows.iter().fold(band as u64, |acc, &v| mix(acc ^ u64::from(v)));
                match buckets.get(&key) {
                    None => {
                        buckets.insert(key, i as u32);
                    }
                    Some(&first) => {
                        let f = sketches[first as usize].as_ref().expect("bucketed texts have sketches");
                        if similarity(f, s) >= threshold {
                            pairs.push((first, i as u32));
                        }
                    }
                }
            }
            pairs
        })
        .collect();
    // a group's root is its smallest member whatever order the pairs are joined in
    let mut parent: Vec<u32> = (0..n as u32).collect();
    for (a, b) in pairs.into_iter().flatten() {
        let (a, b) = (find(&mut parent, a), find(&mut parent, b));
        if a != b {
            parent[a.max(b) as usize] = a.min(b);
        }
    }
    let roots: Vec<u32> = (0..n as u32).map(|i| find(&mut parent, i)).collect();
    let mut size: HashMap<u32, usize> = HashMap::default();
    for &r in &roots {
        *size.entry(r).or_default() += 1;
    }
    roots.iter().map(|r| (size[r] > 1).then_some(*r as usize)).collect()
}

/// The band keys of a sketch: two texts share one when a band of their sketches is equal.
fn band_keys(s: &[u32; K]) -> [u64; BANDS] {
    std::array::from_fn(|band| {
        s[band * ROWS..(band + 1) * ROWS].iter().fold(band as u64, |acc, &v| mix(acc ^ u64::from(v)))
    })
}

/// Near-duplicates of a few texts among many, without holding the many: the few are
/// indexed by band, the many streamed past them (`offer`). A probe's match is the first
/// text offered whose similarity is at or above the threshold; a matched probe leaves the
/// index, so a template sent a thousand times costs a thousand lookups, not a thousand
/// comparisons per probe.
pub struct Probes<'s> {
    sketches: &'s [Option<[u32; K]>],
    buckets: HashMap<u64, Vec<u32>>,
    threshold: f64,
    /// Per probe: its match (similarity, the match's id).
    pub best: Vec<Option<(f64, usize)>>,
}

impl<'s> Probes<'s> {
    pub fn new(sketches: &'s [Option<[u32; K]>], threshold: f64) -> Probes<'s> {
        let mut buckets: HashMap<u64, Vec<u32>> = HashMap::default();
        for (i, s) in sketches.iter().enumerate() {
            for key in s.iter().flat_map(band_keys) {
                buckets.entry(key).or_default().push(i as u32);
            }
        }
        Probes { sketches, buckets, threshold, best: vec![None; sketches.len()] }
    }

    /// Compare the text `id` (sketch `s`) with the unmatched probes sharing a band with it
    /// that `accept` it (the probe, `id`).
    pub fn offer(&mut self, id: usize, s: &[u32; K], accept: &dyn Fn(usize, usize) -> bool) {
        if self.buckets.is_empty() {
            return;
        }
        for key in band_keys(s) {
            let Some(probes) = self.buckets.get_mut(&key) else { continue };
            let (sketches, best, threshold) = (self.sketches, &mut self.best, self.threshold);
            probes.retain(|&p| {
                if best[p as usize].is_some() {
                    return false;
                }
                let sim = similarity(sketches[p as usize].as_ref().expect("indexed probes have sketches"), s);
                if sim >= threshold && accept(p as usize, id) {
                    best[p as usize] = Some((sim, id));
                    return false;
                }
                true
            });
            if probes.is_empty() {
                self.buckets.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_and_light_edits_group_and_different_complaints_do_not() {
        let a = "翠湖花园小区开发商逾期交房已经两年，业主多次找售楼部无果，请政府督促开发商尽快交房。";
        let b = "翠湖花园小区开发商逾期交房已经两年了，业主多次找售楼部无果，请政府督促开发商尽快交房！";
        let c = "我家孩子今年九月上小学，户口在城关镇，学校说学位已满不能入学，请教育局协调解决。";
        let d = "宏建建筑工程有限公司拖欠我们三十多名农民工工资共计四十万元，春节前要不到钱回不了家。";
        // a few probed against many: the copy and the light edit find the text they repeat
        let probe = [sketch(b), sketch(c)];
        let mut p = Probes::new(&probe, THRESHOLD);
        for (id, t) in [d, a, c].iter().enumerate() {
            p.offer(id, &sketch(t).unwrap(), &|_, _| true);
        }
        assert_eq!(p.best.iter().map(|b| b.map(|(_, id)| id)).collect::<Vec<_>>(), [Some(1), Some(2)]);
        let g = groups(&[a, b, c, d, a], THRESHOLD);
        assert_eq!(g[0], Some(0));
        assert_eq!(g[1], Some(0));
        assert_eq!(g[4], Some(0));
        assert_eq!(g[2], None);
        assert_eq!(g[3], None);
        assert!(similarity(&sketch(a).unwrap(), &sketch(c).unwrap()) < 0.2);
        assert_eq!(sketch("好"), None);
    }

    #[test]
    fn a_stored_sketch_reads_back_whole() {
        let s = sketch("翠湖花园小区开发商逾期交房已经两年").unwrap();
        assert_eq!(from_bytes(&to_bytes(&s)), Some(s));
        assert_eq!(from_bytes(&to_bytes(&s)[1..]), None);
    }
}
