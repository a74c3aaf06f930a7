//! The `sweep` Lambda: the schedule (every minute) -> one tick of every cluster, the safety net
//! for RDS events that are late, duplicated or never sent. The handler is `grkeeper::lambda`, the
//! cold start `grkeeper::wiring`.

use grkeeper::lambda::{Deps, Function, handle};
use grkeeper::wiring::init_tracing;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    // Built once per cold start; a bad GRKEEPER_* variable fails here, naming it.
    let deps = Deps::from_env(Function::Sweep).await?;
    run(service_fn(|event| handle(&deps, event))).await
}
