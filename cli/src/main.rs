//! The `grkeeper` binary: everything is in the library (`src/lib.rs`).

fn main() -> std::process::ExitCode {
    grkeeper_cli::main()
}
