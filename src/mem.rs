//! Process memory, for the stage timings of `run` and `bench`: the resident set's peak
//! since the last reset. Linux keeps the peak as `VmHWM` in `/proc/self/status` and
//! resets it when `5` is written to `/proc/self/clear_refs`; elsewhere both are no-ops
//! and the peak is unknown.

// The allocator's own controls (the binary installs mimalloc as the global allocator; in
// a test binary without it they steer an allocator nobody uses, harmlessly).
use mimalloc as _;
unsafe extern "C" {
    fn mi_option_set(option: libc::c_int, value: libc::c_long);
    fn mi_collect(force: bool);
}
/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (v2 and v3 headers alike).
const MI_OPTION_PURGE_DELAY: libc::c_int = 15;
/// Between stages, freed pages go back to the OS after this many ms.
pub const PURGE_DELAY_MS: libc::c_long = 100;

/// Set how long freed pages wait before they go back to the OS, unless
/// `MIMALLOC_PURGE_DELAY` in the environment chose (it wins).
pub fn set_purge_delay(ms: libc::c_long) {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: a plain option setter of the linked allocator
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, ms) };
    }
}

/// A stage keeps the pages it frees for its own next batch and for the stages after it:
/// given back after 100 ms, each batch's memory is faulted in and zeroed again (~15% of
/// `enrich --full` at 1M). An hour, not -1 ("never"): mimalloc v3 then does not even mark
/// freed pages for purging, and `give_back` could not give them back.
pub fn stage_begin() {
    set_purge_delay(3_600_000);
}

/// Give the free pages back to the OS now (and after 100 ms from here on), so what comes
/// next starts from what is live. A pipeline does not do it between its stages: each stage
/// then faulted in and zeroed its memory again, the kernel's page clearing 16% of a 1M daily
/// run's CPU (~1.4 s of 17–19 s); kept, the run's peak is its largest stage's plus what is
/// free (1M weekly run: 2.77 GB against 2.62 GB). `bench` gives back between the full run
/// and the day's, so the day starts as its own process would.
pub fn give_back() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    set_purge_delay(PURGE_DELAY_MS);
    // each thread's heap is its own: the worker threads give theirs back too
    // SAFETY: frees nothing live; purges the free pages marked for purging
    rayon::broadcast(|_| unsafe { mi_collect(true) });
    unsafe { mi_collect(true) };
}

/// Transparent huge pages off for this process, unless `MIMALLOC_ALLOW_THP` in the
/// environment chose. The allocator asks for huge pages; each first touch of a 2 MB page
/// then zeroes all of it, and at 1M the `cluster` stage spent 20% of its samples doing so
/// (5.9 s of system time against 2.6 s without; the whole bench 68.5 s against 65.5 s).
/// Linux keeps the setting for children: [`allow_huge_pages_in_child`] gives a child the
/// setting minqing started with.
pub fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: process attributes; no memory is touched
        let was = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        THP_DISABLED_AT_START.store(was.max(0), std::sync::atomic::Ordering::Relaxed);
        unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    }
}

/// Whether huge pages were already off when minqing started (set by its parent); -1 when
/// minqing left the setting alone.
static THP_DISABLED_AT_START: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// For a `Command` this process starts (the Python peer of `bench`): huge pages as they
/// were when minqing started, not as minqing chose for itself.
pub fn allow_huge_pages_in_child(cmd: &mut std::process::Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let was = THP_DISABLED_AT_START.load(std::sync::atomic::Ordering::Relaxed);
        let Ok(was) = libc::c_ulong::try_from(was) else { return };
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent
        unsafe {
            cmd.pre_exec(move || {
                libc::prctl(libc::PR_SET_THP_DISABLE, was, 0, 0, 0);
                Ok(())
            });
        }
    }
}

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
