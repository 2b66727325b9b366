use std::process::ExitCode;

// jieba tokens, features and Arrow builders allocate small strings by the million from
// every thread; mimalloc halves the time glibc spent in malloc/free (docs/measurements.md)
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // `minqing sql … | head` should end quietly, as other command-line tools do
    #[cfg(unix)]
    // SAFETY: restoring the default action of one signal before any thread starts
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    minqing::cli::main()
}
