//! How well a score tells two classes apart, for the `eval` commands.

/// Area under the ROC curve (ties count half); `None` without both classes.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (pos, neg) = (labels.iter().filter(|&&b| b).count() as f64, labels.iter().filter(|&&b| !b).count() as f64);
    if pos == 0.0 || neg == 0.0 {
        return None;
    }
    // rank sum of positives with average ranks for ties
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += idx[i..=j].iter().filter(|&&k| labels[k]).count() as f64 * avg;
        i = j + 1;
    }
    Some((rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}
