//! `grkeeper schema`: prints the JSON Schema of the snapshot document (docs/snapshot.schema.json
//! is this output; a test keeps the two equal).

use grkeeper::snapshot::Snapshot;

use crate::{Failure, print_json};

pub fn run() -> Result<(), Failure> {
    print_json(&schemars::schema_for!(Snapshot))
}
