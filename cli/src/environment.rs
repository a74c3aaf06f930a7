//! What the commands that work on real clusters build from the environment
//! (`docs/configuration.md`): the keeper and the journal exactly as a Lambda cold start builds
//! them (`grkeeper::wiring`), with their failures as exit codes, and log lines on request.

use grkeeper::adapters::aws::dynamo::DynamoJournal;
use grkeeper::keeper::KeeperError;
use grkeeper::wiring::{self, InitError, LambdaKeeper};

use crate::Failure;

/// The keeper the functions run: configuration, AWS clients, database credentials.
pub async fn keeper() -> Result<LambdaKeeper, Failure> {
    wiring::keeper_from_env().await.map_err(init_failure)
}

/// The DynamoDB journal of the configured table.
pub async fn journal() -> Result<DynamoJournal, Failure> {
    wiring::journal_from_env().await.map_err(init_failure)
}

/// A bad variable is bad input (fix the environment); an unreadable secret is a failure.
fn init_failure(error: InitError) -> Failure {
    match error {
        InitError::Config(_) => Failure::BadInput(error.to_string()),
        InitError::Secret(_) | InitError::LocalOnly(_) => Failure::Failed(error.to_string()),
    }
}

/// A tick that could not start: a cluster or instance the deployment does not keep is bad
/// input; an unreadable inventory is a failure.
pub fn keeper_failure(error: KeeperError) -> Failure {
    match error {
        KeeperError::UnknownCluster(_) | KeeperError::UnknownInstance(_) => {
            Failure::BadInput(error.to_string())
        }
        KeeperError::Inventory(_) => Failure::Failed(error.to_string()),
    }
}

/// Log lines (JSON on stderr, as the functions write them) only when `RUST_LOG` asks for them:
/// by default the CLI prints its result and, on failure, one line.
pub fn init_tracing() {
    if std::env::var_os("RUST_LOG").is_some() {
        wiring::init_tracing();
    }
}
