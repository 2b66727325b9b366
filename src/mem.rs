//! Process memory, for the stage timings of `run` and `bench`: the resident set's peak
//! since the last reset. Linux keeps the peak as `VmHWM` in `/proc/self/status` and
//! resets it when `5` is written to `/proc/self/clear_refs`; elsewhere both are no-ops
//! and the peak is unknown.

/// Start a new peak: from now on `peak_bytes` reports the high-water mark since this call.
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The resident set's high-water mark since the last `reset_peak` (or process start).
pub fn peak_bytes() -> Option<u64> {
    status_kb("VmHWM:").map(|kb| kb * 1024)
}

fn status_kb(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

/// The peak resident set of this process's waited-for children (`getrusage`), in bytes.
pub fn children_peak_bytes() -> Option<u64> {
    // SAFETY: getrusage fills the struct it is given and touches nothing else.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    (rc == 0 && ru.ru_maxrss > 0).then(|| ru.ru_maxrss as u64 * 1024)
}

/// Bytes as `1.23 GB` / `456 MB`.
pub fn human(bytes: u64) -> String {
    if bytes >= 1 << 30 {
        format!("{:.2} GB", bytes as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.0} MB", bytes as f64 / (1u64 << 20) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_follows_an_allocation_and_resets() {
        let Some(before) = peak_bytes() else { return }; // not Linux
        let big = vec![1u8; 64 << 20];
        std::hint::black_box(&big);
        let with = peak_bytes().unwrap();
        assert!(with >= before.max(64 << 20), "{with} < 64 MB");
        drop(big);
        reset_peak();
        let after = peak_bytes().unwrap();
        // a kernel that refuses the reset keeps the old peak; one that allows it forgets it
        assert!(after <= with);
        let now = status_kb("VmRSS:").unwrap() * 1024;
        assert!(now <= after + (8 << 20));
    }
}
