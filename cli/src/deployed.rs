//! One source of configuration: before a `tick` acts, the configuration the deployed functions
//! published at their cold start (the journal's `deployment` item) must be readable and equal to
//! this process's own (deployment, inventory, policies, step budget), so the CLI never acts with
//! a policy the functions do not have. `--ignore-deployed-config` says, explicitly, to act anyway.

use grkeeper::ports::journal::DeploymentStore;
use grkeeper::wiring::LambdaKeeper;

use crate::Failure;

/// The flag that acts with the local configuration anyway.
pub const IGNORE: &str = "--ignore-deployed-config";

/// Fails unless the deployment's published configuration equals `keeper`'s.
pub async fn check(keeper: &LambdaKeeper) -> Result<(), Failure> {
    let table = &keeper.config.table;
    let published = keeper.journal.published().await.map_err(|e| {
        Failure::Failed(format!(
            "cannot read the deployment's configuration from table {table}: {e}; \
             nothing was done (pass {IGNORE} to act with the local configuration anyway)"
        ))
    })?;
    let Some(published) = published else {
        return Err(Failure::BadInput(format!(
            "no deployment has published its configuration in table {table} (the functions \
             publish it at every cold start: is this the deployment's table, and has a function \
             run since it was deployed?); nothing was done (pass {IGNORE} to act with the local \
             configuration anyway)"
        )));
    };
    let differences = published.effective.differences(&keeper.config.effective());
    if differences.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = differences.iter().map(ToString::to_string).collect();
    Err(Failure::BadInput(format!(
        "the local configuration differs from the one deployment {} runs with (published by {} \
         at {}): {}; nothing was done: set the same GRKEEPER_* variables as the stack, or pass \
         {IGNORE} to act with the local ones anyway",
        published.effective.deployment,
        published.by,
        published
            .at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        listed.join("; ")
    )))
}
