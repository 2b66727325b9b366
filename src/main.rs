use std::process::ExitCode;

fn main() -> ExitCode {
    // `minqing sql … | head` should end quietly, as other command-line tools do
    #[cfg(unix)]
    // SAFETY: restoring the default action of one signal before any thread starts
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    minqing::cli::main()
}
