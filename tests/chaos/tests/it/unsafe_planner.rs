//! The checker catches what it must: with a planner planted that bootstraps where it should
//! rejoin, the runner reports two live groups and a bootstrap beside a live group, shrinks the
//! schedule, prints one command that replays it, and that replay fails the same way.

use grkeeper_chaos::ports::UnsafePlanner;
use grkeeper_chaos::report::failure;
use grkeeper_chaos::runner::{RunOptions, run};
use grkeeper_chaos::schedule::generate;
use grkeeper_chaos::shrink::{replay_command, replayed, shrink};

#[tokio::test]
async fn an_unsafe_planner_is_caught_and_reported_with_a_command_that_replays_it() {
    let planner = UnsafePlanner::BootstrapInsteadOfRejoin;
    let options = RunOptions {
        planner: Some(planner),
        ..RunOptions::default()
    };
    let mut caught = None;
    for seed in 1..=20 {
        let schedule = generate(seed);
        let outcome = run(&schedule, &options).await.unwrap();
        if outcome
            .violations
            .iter()
            .any(|v| v.kind() == "bootstrap beside a live group")
        {
            caught = Some((schedule, outcome));
            break;
        }
    }
    let (schedule, outcome) = caught.expect("no schedule of seeds 1 to 20 caught the planner");
    let kinds = outcome.signature();
    assert!(kinds.contains(&"two live groups"), "{kinds:?}");

    let shrunk = shrink(&schedule, &outcome, &options, 40).await;
    assert!(shrunk.keep.len() <= outcome.faults.len());
    let text = failure(&outcome, &shrunk, Some(planner));
    let command = replay_command(outcome.seed, &shrunk.keep, Some(planner));
    assert!(
        text.contains(&format!("FAILED seed {}", outcome.seed)),
        "{text}"
    );
    assert!(text.contains(&command), "{text}");
    assert!(
        command.ends_with("--unsafe-planner bootstrap-instead-of-rejoin"),
        "{command}"
    );

    // The replay command's schedule fails the same way.
    let again = run(&replayed(outcome.seed, Some(&shrunk.keep)), &options)
        .await
        .unwrap();
    assert!(
        again
            .violations
            .iter()
            .any(|v| v.kind() == "bootstrap beside a live group"),
        "{:?}",
        again.violations
    );
}
