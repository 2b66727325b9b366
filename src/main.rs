use std::process::ExitCode;

fn main() -> ExitCode {
    minqing::cli::main()
}
