use std::process::ExitCode;

// jieba tokens, features and Arrow builders allocate small strings by the million from
// every thread; mimalloc halves the time glibc spent in malloc/free (docs/measurements.md)
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

// `mi_option_purge_delay` in mimalloc's `mi_option_e` (v2 and v3 headers alike).
const MI_OPTION_PURGE_DELAY: libc::c_int = 15;
unsafe extern "C" {
    fn mi_option_set(option: libc::c_int, value: libc::c_long);
}

fn main() -> ExitCode {
    // Keep freed pages instead of handing them back to the OS after 10 ms: the risk model's
    // fit and the stages' column buffers free and re-take the same hundreds of MB, and the
    // kernel zeroed every re-taken page (a third of the risk stage's time). Peak RSS is
    // unchanged: the pages are reused, not added.
    // SAFETY: a plain option setter of the linked allocator, called before any thread starts.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    // `minqing sql … | head` should end quietly, as other command-line tools do
    #[cfg(unix)]
    // SAFETY: restoring the default action of one signal before any thread starts
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    minqing::cli::main()
}
