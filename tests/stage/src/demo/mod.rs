//! The demo: the README's first command (`cargo run -p grkeeper-demo`). A simulated 3-member Group Replication cluster
//! (gr-sim, over TCP on loopback) and the AWS side in memory; the cluster is shown healthy, then
//! three failures come one after another: a member stops Group Replication, a member is expelled
//! into offline mode, a complete outage. After each, the same tick the Lambda functions run
//! decides, acts, verifies and alerts, and the simulator's ground truth must confirm the cluster
//! healthy again. Exit 0 only when it finally does; no account, network or setup needed.
//!
//! # Layout
//! - `stage`: the simulator and the keeper wired to it.
//! - `acts`: the healthy cluster and the three failures, each followed by a tick.
//! - `clock`: the clock the demo moves forward between acts.
//! - `show`: printing decisions, actions, alerts and status.
//! - `truth`: the simulator's ground truth, and the final verdict.

mod acts;
mod clock;
mod show;
mod stage;
mod truth;

use std::time::Instant;

use grkeeper_cli::Failure;

/// Runs the demo to the end: `Ok` only when the simulator confirms the cluster healthy.
pub async fn run() -> Result<(), Failure> {
    let started = Instant::now();
    show::say(
        "The grkeeper demo: a simulated 3-member MySQL Group Replication cluster on RDS, kept by the \
         tick the Lambda functions run. MySQL is gr-sim (the MySQL protocol on 127.0.0.1, GR \
         timings scaled down about 100 times), reached by grkeeper's own MySQL probe; RDS is the \
         simulator's control plane; the journal, alerts and topology events are kept in memory. \
         The policy is the default one.",
    );
    let mut stage = stage::Stage::start().await?;
    let committed = acts::healthy(&stage).await?;
    let committed = acts::member_stops_group_replication(&mut stage, committed).await?;
    let committed = acts::member_expelled_into_offline_mode(&mut stage, committed).await?;
    let committed = acts::complete_outage(&mut stage, committed).await?;
    show::heading("The end");
    let verdict = truth::verdict(&stage.sim.truth(), &committed).map_err(Failure::Failed)?;
    show::say(&format!(
        "healthy — the simulator's ground truth: {verdict}. ({:.0} s)",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}
