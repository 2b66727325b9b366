use std::process::ExitCode;

// jieba tokens, features and Arrow builders allocate small strings by the million from
// every thread; mimalloc halves the time glibc spent in malloc/free (docs/measurements.md)
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Freed pages go back to the OS after 100 ms (mimalloc's default is 1 s); a stage and
    // the stages after it in a pipeline keep them (`mem::stage_begin`, `mem::give_back`).
    // `MIMALLOC_PURGE_DELAY` in the environment wins.
    minqing::mem::set_purge_delay(minqing::mem::PURGE_DELAY_MS);
    minqing::mem::no_huge_pages();
    // `minqing sql … | head` should end quietly, as other command-line tools do
    #[cfg(unix)]
    // SAFETY: restoring the default action of one signal before any thread starts
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    minqing::main()
}
