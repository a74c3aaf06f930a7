//! The demo's acts: the healthy cluster, then three failures, each injected into the simulator
//! and followed by one tick. Writes are committed between acts so that the members' GTID sets
//! differ the way they do in production: the member that was out lacks what was written
//! meanwhile, and after the outage only some members hold every transaction.

use chrono::TimeDelta;
use gr_sim::{Fault, GtidSet, Truth};
use grkeeper_cli::Failure;

use super::show::{self, say, step};
use super::stage::{MEMBERS, Stage, timing};
use super::truth;
use crate::sim::{Reply, run_statement};

/// `ER_SERVER_OFFLINE_MODE`: what clients of a member in offline mode get.
const OFFLINE_MODE: u16 = grkeeper::model::ER_SERVER_OFFLINE_MODE;

/// Binlog retention as AWS's setup guide for GR clusters asks (RDS's default purges binlogs
/// as soon as it can, and a member that was out could then never catch up).
const BINLOG_RETENTION: &str = "CALL mysql.rds_set_configuration('binlog retention hours', 168)";

/// The cluster as it starts: every member ONLINE, 100 transactions written.
pub async fn healthy(stage: &Stage) -> Result<GtidSet, Failure> {
    show::heading("The healthy cluster");
    stage
        .wait_until("every member is ONLINE in one group", truth::healthy)
        .await?;
    say(&format!(
        "  Set up as AWS's guide for Group Replication asks: {BINLOG_RETENTION} on every member."
    ));
    for member in MEMBERS {
        sql(stage, member, BINLOG_RETENTION).await?;
    }
    let committed = commit(stage, "orders-1", 100, GtidSet::new())?;
    stage
        .wait_until("every member has applied them", truth::healthy)
        .await?;
    step("grkeeper status");
    let report = stage.tick(true).await?;
    show::status(&report, &stage.keeper.config.endpoint_overrides);
    Ok(committed)
}

/// Act 1: GR stops on orders-2 when RDS restarts it; grkeeper rejoins it. Then a DBA stops
/// GR on orders-3 on purpose: grkeeper sees it in `mysql.rds_history` and leaves it alone
/// until the DBA starts it again.
pub async fn member_stops_group_replication(
    stage: &mut Stage,
    committed: GtidSet,
) -> Result<GtidSet, Failure> {
    show::heading("Act 1: a member stops Group Replication");
    let sent = stage.sent();
    say(
        "RDS restarts orders-2 to apply a patch. mysqld comes back, but Group Replication does \
         not start with it (whether it starts on boot is not documented for RDS; here it does \
         not), so orders-2 stays OFFLINE and super-read-only. The group carries on with two \
         members.",
    );
    stage
        .sim
        .restart("orders-2")
        .map_err(|e| sim_failure("restart", &e))?;
    stage
        .wait_until(
            "orders-2 is back, OFFLINE, and its old self out of every view",
            |t| t.offline_and_out_of_every_view("orders-2"),
        )
        .await?;
    let committed = commit(stage, "orders-1", 20, committed)?;
    tick(stage).await?;

    println!();
    say(
        "Now a DBA stops Group Replication on orders-3 on purpose, before some maintenance. \
         A stop made by a person is recorded in mysql.rds_history, and grkeeper respects it.",
    );
    let message = sql(stage, "orders-3", "CALL mysql.rds_group_replication_stop()").await?;
    say(&format!(
        "  orders-3 answers: {}",
        message.as_deref().unwrap_or("(no message)")
    ));
    stage
        .wait_until("the others no longer list orders-3", |t| {
            t.state("orders-3") == "OFFLINE" && online_in_majority(t) == ["orders-1", "orders-2"]
        })
        .await?;
    step("grkeeper tick --dry-run: what it decides and why");
    show::decided(&stage.tick(true).await?);
    say("  The DBA is done and starts it again:");
    sql(
        stage,
        "orders-3",
        "CALL mysql.rds_group_replication_start(0)",
    )
    .await?;
    stage
        .wait_until(
            "the simulator's ground truth shows every member ONLINE in one group",
            truth::healthy,
        )
        .await?;
    say("  orders-3 is ONLINE again.");
    show::tally("Act 1", &stage.sent_since(sent));
    Ok(committed)
}

/// Act 2: orders-3 cut off, expelled, in offline mode after the partition heals; grkeeper
/// reboots it through RDS and it rejoins as it starts.
pub async fn member_expelled_into_offline_mode(
    stage: &mut Stage,
    committed: GtidSet,
) -> Result<GtidSet, Failure> {
    an_hour_later(stage, "Act 2: a member is expelled into offline mode");
    let sent = stage.sent();
    say(
        "A network partition cuts orders-3 off. The majority expels it; on its side, orders-3 \
         gives up after group_replication_unreachable_majority_timeout, its auto-rejoin attempts \
         fail while it is cut off, and its exit action (OFFLINE_MODE, the RDS default) puts it \
         in offline mode. Then the network heals, but orders-3 stays out.",
    );
    stage
        .sim
        .partition(&[&["orders-3"]])
        .map_err(|e| sim_failure("partition", &e))?;
    stage
        .wait_until("orders-3 is expelled and in offline mode", |t| {
            t.member("orders-3").is_some_and(|m| m.offline_mode)
                && online_in_majority(t) == ["orders-1", "orders-2"]
        })
        .await?;
    stage.sim.heal().map_err(|e| sim_failure("heal", &e))?;
    let committed = commit(stage, "orders-2", 15, committed)?;
    match run_statement(&stage.sim, "orders-3", "SELECT @@hostname").await {
        Ok(Reply::Error { code, message }) if code == OFFLINE_MODE => say(&format!(
            "  A client connecting to orders-3 now gets: ERROR {code}: {message}"
        )),
        other => {
            return Err(Failure::Failed(format!(
                "orders-3 should refuse clients with error {OFFLINE_MODE}, got {other:?}"
            )));
        }
    }
    tick(stage).await?;
    show::tally("Act 2", &stage.sent_since(sent));
    Ok(committed)
}

/// Act 3: orders-1 crashes, the others write on, then every member goes down; grkeeper refuses
/// to bootstrap while members cannot be read, then bootstraps from a member holding every
/// transaction and rejoins the others.
pub async fn complete_outage(
    stage: &mut Stage,
    mut committed: GtidSet,
) -> Result<GtidSet, Failure> {
    an_hour_later(stage, "Act 3: a complete outage");
    let sent = stage.sent();
    say(
        "orders-1's mysqld crashes; the other two expel it and carry on, committing more \
         transactions. Then the whole cluster loses power.",
    );
    stage
        .sim
        .crash("orders-1")
        .map_err(|e| sim_failure("crash", &e))?;
    stage
        .wait_until("orders-2 and orders-3 carry on without orders-1", |t| {
            online_in_majority(t) == ["orders-2", "orders-3"]
                && t.majority_groups().iter().all(|g| g.view.len() == 2)
        })
        .await?;
    committed = commit(stage, "orders-2", 25, committed)?;
    stage
        .sim
        .inject(Fault::CompleteOutage)
        .map_err(|e| sim_failure("complete outage", &e))?;
    stage
        .wait_until("every mysqld is down", |t| t.members.iter().all(|m| !m.up))
        .await?;
    step("grkeeper tick while no member answers");
    say(
        "  RDS still reports every instance available, but no member answers: grkeeper cannot \
         read one transaction set to bootstrap from, so it alerts and waits.",
    );
    let report = stage.tick(false).await?;
    show::decided(&report);
    show::events(&stage.new_events());
    step("alerts sent");
    show::alerts(&stage.new_alerts());

    step("RDS restarts mysqld on every instance");
    for member in MEMBERS {
        stage
            .sim
            .restart(member)
            .map_err(|e| sim_failure("restart", &e))?;
    }
    stage
        .wait_until("every member is up again", |t| {
            t.members.iter().all(|m| m.up)
        })
        .await?;
    // Each member starts GR at boot and retries its join a few times before giving up: let it
    // give up, so the tick meets the outage as it is, not a join attempt half way.
    let attempts = timing().join_retry_interval * timing().join_attempts;
    tokio::time::sleep(attempts * 2).await;
    let truth = stage.sim.truth();
    let counts: Vec<String> = MEMBERS
        .iter()
        .map(|m| {
            format!(
                "{m} {} ({} transactions)",
                truth.state(m),
                truth::transactions(&truth, m)
            )
        })
        .collect();
    say(&format!(
        "  Every member is back, none in a group: {}. orders-1 lacks the 25 written after it \
         crashed; bootstrapping from it would lose them.",
        counts.join(", ")
    ));
    tick(stage).await?;
    show::tally("Act 3, the outage and its repair", &stage.sent_since(sent));
    Ok(committed)
}

/// The next act happens an hour later for grkeeper (its clock moves), so the previous act's
/// cooldown and budgets do not hold it back.
fn an_hour_later(stage: &Stage, title: &str) {
    show::heading(title);
    stage.keeper.clock.advance(TimeDelta::hours(1));
    say(
        "(An hour later, for grkeeper: the demo moves its clock forward an hour so that the \
         default policy's 10-minute member cooldown and hourly action budgets do not hold this \
         repair back. The simulator keeps real time.)",
    );
}

/// One tick, shown as a person would run it: the dry run's decision, the tick's actions and
/// alerts, the status after it, and the ground truth.
async fn tick(stage: &mut Stage) -> Result<(), Failure> {
    step("grkeeper tick --dry-run: what it decides and why");
    show::decided(&stage.tick(true).await?);
    step("grkeeper tick: lease, journal, act, verify (observed every 2 s), alert");
    let started = std::time::Instant::now();
    let report = stage.tick(false).await?;
    show::acted(&report);
    show::events(&stage.new_events());
    println!("  ({:.1} s)", started.elapsed().as_secs_f64());
    step("alerts sent");
    show::alerts(&stage.new_alerts());
    step("grkeeper status after the tick");
    show::status(&report, &stage.keeper.config.endpoint_overrides);
    stage
        .wait_until(
            "the simulator's ground truth shows every member ONLINE in one group",
            truth::healthy,
        )
        .await?;
    Ok(())
}

/// Runs `statement` on `member` as a person would; its message, if it answers one.
async fn sql(stage: &Stage, member: &str, statement: &str) -> Result<Option<String>, Failure> {
    match run_statement(&stage.sim, member, statement).await {
        Ok(Reply::Done(first)) => Ok(first),
        Ok(Reply::Error { code, message }) => Err(Failure::Failed(format!(
            "{statement} on {member}: ERROR {code}: {message}"
        ))),
        Err(error) => Err(Failure::Failed(format!("{statement} on {member}: {error}"))),
    }
}

/// Commits `count` transactions on `member` as a client would; returns `committed` with them.
fn commit(
    stage: &Stage,
    member: &str,
    count: u64,
    mut committed: GtidSet,
) -> Result<GtidSet, Failure> {
    let gtids = stage
        .sim
        .commit(member, count)
        .map_err(|e| sim_failure("commit", &e))?;
    for gtid in &gtids {
        let one: GtidSet = gtid
            .parse()
            .map_err(|e| Failure::Failed(format!("the simulator committed {gtid:?}: {e}")))?;
        committed.union_with(&one);
    }
    say(&format!(
        "  The application commits {count} transactions on {member}."
    ));
    Ok(committed)
}

/// The ONLINE members of the group that has a majority (empty without one).
fn online_in_majority(truth: &Truth) -> Vec<String> {
    match truth.majority_groups()[..] {
        [group] => group.online.clone(),
        _ => Vec::new(),
    }
}

fn sim_failure(what: &str, error: &gr_sim::SimError) -> Failure {
    Failure::Failed(format!("the simulator refused the {what}: {error}"))
}
