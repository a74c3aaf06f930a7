//! `demo`: a simulated 3-member cluster through three failures and three repairs, with no setup
//! ([`grkeeper_demo::demo`]). Exit 0 only when the simulator confirms the cluster healthy.

fn main() -> std::process::ExitCode {
    grkeeper_cli::finish(grkeeper_cli::run_async(grkeeper_demo::demo::run()))
}
