//! `grkeeper doctor [--cluster NAME] [--output text|json]`: a read-only check of the deployment
//! the environment describes, one line per check with pass / warn / fail and, for the others,
//! the fix (`grkeeper::doctor`). Exit 0 when every check passes, 3 when the worst is a warning,
//! 4 when one fails (`docs/cli.md`).

use grkeeper::config::Config;
use grkeeper::doctor::{self, Report, Status};

use crate::render::wrap;
use crate::{Failure, Output, print_json, scope};

/// Arguments of `grkeeper doctor`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  grkeeper doctor\n  grkeeper doctor --cluster orders --output json"
)]
pub struct Args {
    /// Only this cluster (default: every cluster the configuration keeps).
    #[arg(long)]
    cluster: Option<String>,
    /// How to print the checks.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

pub async fn run(args: &Args) -> Result<(), Failure> {
    let cluster = match &args.cluster {
        Some(name) => Some(scope::names(name, None)?.0),
        None => None,
    };
    let config = Config::from_env().map_err(|e| Failure::BadInput(e.to_string()))?;
    let sdk = grkeeper::adapters::aws::sdk_config().await;
    let report = doctor::run(&config, &sdk, cluster.as_deref())
        .await
        .map_err(|e| Failure::BadInput(e.to_string()))?;
    match args.output {
        Output::Json => print_json(&report)?,
        Output::Text => println!("{}", text(&report)),
    }
    match report.worst() {
        Status::Pass => Ok(()),
        Status::Warn => Err(Failure::Verdict(3)),
        Status::Fail => Err(Failure::Verdict(4)),
    }
}

/// One line per check (`PASS  check  subject: message`), the fix indented under it.
fn text(report: &Report) -> String {
    let mut lines = Vec::new();
    for check in &report.checks {
        lines.push(format!(
            "{}  {:<28} {}: {}",
            check.status.word(),
            check.check,
            check.subject,
            check.message
        ));
        if let Some(fix) = &check.fix {
            let indent = "        ";
            lines.push(format!(
                "{indent}{}",
                wrap(&format!("fix: {fix}"), 92, indent)
            ));
        }
    }
    let counts = |status| report.checks.iter().filter(|c| c.status == status).count();
    lines.push(format!(
        "\nchecks: {} pass, {} warn, {} fail",
        counts(Status::Pass),
        counts(Status::Warn),
        counts(Status::Fail)
    ));
    lines.join("\n")
}
