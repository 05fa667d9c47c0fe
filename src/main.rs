//! The `warroom` binary: a thin shell over `warroom::cli`.

fn main() -> std::process::ExitCode {
    warroom::cli::main()
}
