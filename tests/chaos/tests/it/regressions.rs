//! Every failure the runner found and that was fixed, kept as its shrunk seed
//! (`regressions.txt`): each must now pass.

use grkeeper_chaos::kept;
use grkeeper_chaos::runner::{RunOptions, run};

#[tokio::test]
async fn every_regression_seed_passes() {
    let seeds = kept::read("regressions.txt").unwrap();
    assert!(!seeds.is_empty());
    let mut failed = Vec::new();
    for seed in &seeds {
        let outcome = run(&seed.schedule(), &RunOptions::default()).await.unwrap();
        if outcome.failed() {
            failed.push(format!(
                "seed {} ({}) fails again: {:?} {:?}",
                seed.seed, seed.note, outcome.violations, outcome.liveness
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
