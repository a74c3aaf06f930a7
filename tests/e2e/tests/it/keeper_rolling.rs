//! Rolling maintenance end to end (`GRKEEPER_MAINTENANCE=auto`): the functions' handler, over
//! the real AWS adapters through the bridge (whose `ApplyPendingMaintenanceAction` and pending
//! actions are the simulator's RDS model) and the real MySQL probe of the simulated members,
//! rolls a parameter change (a reboot per member) and then a minor upgrade (an applied
//! `db-upgrade` per member) one member at a time, newer versions first and the lowest last, while
//! a client commits: over three and five members on 8.0, and an upgrade of five on 8.4. The RDS events the simulator emits around each step reach the event function
//! as EventBridge delivers them.
//!
//! Every step is judged against the simulator's ground truth, never by what grkeeper says: every
//! RDS call as it reached the cluster (the bridge's record, with the truth at that instant), and
//! every change of the simulated cluster while a tick runs or the test waits. A member that does
//! not come back stops the roll with an incident and no further step; a tick cut off before or
//! after its call is resumed by the next one without a second call.

use std::sync::Mutex;
use std::time::Duration;

use gr_sim::{GtidSet, PendingMaintenance, Timing, Truth, Version};
use grkeeper::lambda::{Deps, Function};
use grkeeper_e2e::bridge::Failure;
use grkeeper_e2e::harness::{Harness, event};
use grkeeper_e2e::invoke::{cold_start, findings, invoke, taken};
use serde_json::Value;

/// Bound for the simulated cluster to settle after a tick (it needs a few seconds).
const SETTLE: Duration = Duration::from_secs(15);

/// How long RDS keeps an instance down for a step. The step's verification looks for it down
/// right after the call (milliseconds later): the fast timing's 150 ms restart was once over
/// before a busy machine's first look, and the step journaled failed (as documented, the roll
/// goes on; these tests want every step verified). A second leaves a wide margin.
const RESTART: Duration = Duration::from_secs(1);

fn version(text: &str) -> Version {
    text.parse().unwrap()
}

/// A roll under way: the harness, the two functions, and what the judge has seen.
struct Roll {
    h: Harness,
    sweep: Deps,
    on_event: Deps,
    /// The inventory, `orders-1`..`orders-N`.
    members: Vec<String>,
    /// Every commit a client had acknowledged.
    committed: GtidSet,
    /// RDS events already delivered.
    events_seen: usize,
    /// Bridge records already judged.
    acted_seen: usize,
    /// What broke an invariant, with when.
    violations: Mutex<Vec<String>>,
}

impl Roll {
    /// The cluster with one member per version, rolled automatically: a member cooldown of one
    /// second and budgets of 20 an hour, so ten steps go within seconds of real time; `extra`
    /// settings on top.
    async fn start(versions: &[&str], extra: &[(&str, &str)]) -> Roll {
        let versions: Vec<Version> = versions.iter().map(|v| version(v)).collect();
        let timing = Timing {
            reboot: RESTART,
            ..Timing::fast()
        };
        let h = Harness::start_versions(&versions, |config| config.real_time(timing))
            .await
            .unwrap();
        let mut env = h.env();
        let settings = [
            ("GRKEEPER_MAINTENANCE", "auto"),
            ("GRKEEPER_MEMBER_COOLDOWN_SECS", "1"),
            ("GRKEEPER_CLUSTER_BUDGET", "20/3600"),
            ("GRKEEPER_REBOOT_BUDGET", "20/3600"),
        ];
        for (name, value) in settings.iter().chain(extra) {
            env.insert((*name).to_owned(), (*value).to_owned());
        }
        let aws = h.bridged_aws().await;
        let sweep = cold_start(Function::Sweep, &env, &aws).await.unwrap();
        let on_event = cold_start(Function::RdsEvent, &env, &aws).await.unwrap();
        let members = h.sim.names().to_vec();
        Roll {
            h,
            sweep,
            on_event,
            members,
            committed: GtidSet::new(),
            events_seen: 0,
            acted_seen: 0,
            violations: Mutex::new(Vec::new()),
        }
    }

    /// The invariants on one look at the truth: one group holds a majority, no split brain, and
    /// at most one member of the inventory is out of it (not ONLINE in it).
    fn judge(&self, truth: &Truth, when: &str) {
        let mut broken = Vec::new();
        if truth.split_brain() {
            broken.push("split brain".to_owned());
        }
        match truth.majority_groups()[..] {
            [group] => {
                let out: Vec<&String> = self
                    .members
                    .iter()
                    .filter(|m| !group.online.contains(m))
                    .collect();
                if out.len() > 1 {
                    broken.push(format!("two members out at once: {out:?}"));
                }
            }
            _ => broken.push("no group holds a majority".to_owned()),
        }
        if !broken.is_empty() {
            let mut violations = self.violations.lock().unwrap();
            violations.push(format!(
                "{when}: {} ({})",
                broken.join("; "),
                truth.summary()
            ));
        }
    }

    /// Each RDS call that reached the cluster since the last look, judged at its instant: the
    /// member was ONLINE in a group holding a majority with every other member ONLINE, so taking
    /// it out left all but one, a majority of the view (`Truth::online_without`, the chaos
    /// checker's query). Returns them as `operation instance`.
    fn judge_actions(&mut self) -> Vec<String> {
        let acted = self.h.bridge.acted();
        let new = &acted[self.acted_seen..];
        self.acted_seen = acted.len();
        let n = self.members.len();
        let mut lines = Vec::new();
        for record in new {
            let instance = record.call.instance.clone().unwrap_or_default();
            let line = format!("{} {instance}", record.call.operation);
            match record.truth.online_without(&instance) {
                Some((after, view)) if after == n - 1 && view == n && after > view / 2 => {}
                other => self.violations.lock().unwrap().push(format!(
                    "{line} reached the cluster leaving (ONLINE, view) {other:?}: {}",
                    record.truth.summary()
                )),
            }
            lines.push(line);
        }
        lines
    }

    /// A client commits on a member that takes writes (the lowest-version ones on 8.0).
    fn commit(&mut self) {
        let truth = self.h.sim.truth();
        let writable = truth
            .members
            .iter()
            .find(|m| m.state.as_deref() == Some("ONLINE") && !m.super_read_only);
        if let Some(member) = writable {
            for gtid in self.h.sim.commit(&member.name, 2).unwrap() {
                self.committed.union_with(&gtid.parse().unwrap());
            }
        }
    }

    /// One invocation, judged: every change of the cluster while it runs, and the truth after.
    async fn invoke(&self, deps: &Deps, payload: Value, why: &str) -> Result<Value, String> {
        let watch = self.h.sim.wait_for(Duration::from_secs(300), |truth| {
            self.judge(truth, why);
            false
        });
        let tick = invoke(deps, payload);
        let result = tokio::select! {
            result = tick => result.map_err(|e| format!("{e:?}")),
            _ = watch => Err("the tick outlived the judge".to_owned()),
        };
        self.judge(&self.h.sim.truth(), why);
        result
    }

    /// A scheduled tick, then each RDS event the simulator emitted since the last one delivered
    /// to the event function as EventBridge delivers it (each a tick of its own); then waits
    /// until the cluster settles. Returns the actions taken (`kind instance verdict`).
    async fn tick(&mut self) -> Vec<String> {
        let mut actions = taken(&self.sweep_once().await.unwrap());
        actions.extend(self.deliver_events().await);
        self.settle().await;
        actions.extend(self.deliver_events().await);
        actions
    }

    /// A client commits, then one scheduled tick: its summary, or why it failed.
    async fn sweep_once(&mut self) -> Result<Value, String> {
        self.commit();
        let schedule = event("schedule.json").unwrap();
        self.invoke(&self.sweep, schedule, "schedule").await
    }

    /// How many `ApplyPendingMaintenanceAction` requests for `instance` reached the bridge.
    fn applied(&self, instance: &str) -> usize {
        let calls = self.h.bridge.calls();
        calls
            .iter()
            .filter(|c| c.operation == "ApplyPendingMaintenanceAction")
            .filter(|c| c.instance.as_deref() == Some(instance))
            .count()
    }

    /// Holds `maintenance` for every member.
    fn hold(&self, maintenance: &PendingMaintenance) {
        for member in &self.members {
            let held = self
                .h
                .sim
                .rds()
                .hold_maintenance(member, maintenance.clone());
            held.unwrap();
        }
    }

    async fn deliver_events(&mut self) -> Vec<String> {
        let events = self.h.sim.rds().events();
        let mut actions = Vec::new();
        for rds_event in &events[self.events_seen..] {
            let why = format!("{} {}", rds_event.event_id, rds_event.instance);
            let payload = rds_event.eventbridge(chrono::Utc::now());
            let summary = self.invoke(&self.on_event, payload, &why).await.unwrap();
            actions.extend(taken(&summary));
        }
        self.events_seen = events.len();
        actions
    }

    /// Waits (bounded, judging every change) until no instance is restarting and every member
    /// is ONLINE in one group, or until the bound for a member that does not come back.
    async fn settle(&self) {
        let _ = self
            .h
            .sim
            .wait_for(SETTLE, |truth| {
                self.judge(truth, "settling");
                truth.converged()
                    && truth
                        .members
                        .iter()
                        .all(|m| m.instance_status == gr_sim::InstanceStatus::Available)
            })
            .await;
    }

    /// Nothing is pending any more on any member: no maintenance action, no parameter change.
    fn nothing_pending(&self) -> bool {
        self.h.sim.rds().describe().iter().all(|info| {
            info.pending_maintenance.is_empty() && info.parameter_apply_status == "in-sync"
        })
    }

    /// Ticks until nothing is pending and the cluster converged (bounded: three ticks a
    /// member), and returns the RDS calls that reached the cluster, in order.
    async fn roll_through(&mut self) -> Vec<String> {
        for _ in 0..3 * self.members.len() {
            if self.nothing_pending() && self.h.sim.truth().converged() {
                break;
            }
            self.tick().await;
        }
        assert!(self.nothing_pending(), "{:#?}", self.h.sim.rds().describe());
        self.judge_actions()
    }

    fn assert_no_violation(&self) {
        let violations = self.violations.lock().unwrap();
        assert!(violations.is_empty(), "{violations:#?}");
    }
}

/// A rolling parameter change (when `parameters`), then a rolling minor upgrade to `target`,
/// over members on `versions`: every step one member, in `order` (newer versions first, the
/// lowest last), each taken only with every member ONLINE, and the group never without a
/// majority nor two members out; at the end every member runs `target` with its parameters
/// applied, ONLINE, writable, with every acknowledged commit.
async fn roll_over(versions: &[&str], parameters: bool, target: &str, order: &[&str]) {
    let mut roll = Roll::start(versions, &[]).await;
    let n = roll.members.len();
    if parameters {
        for member in &roll.members {
            roll.h.sim.rds().change_parameters(member).unwrap();
        }
        let reboots = roll.roll_through().await;
        let expected: Vec<String> = order
            .iter()
            .map(|m| format!("RebootDBInstance {m}"))
            .collect();
        assert_eq!(reboots, expected);
        roll.assert_no_violation();
    }

    let target = version(target);
    roll.hold(&PendingMaintenance::db_upgrade(target));
    let upgrades = roll.roll_through().await;
    let expected: Vec<String> = order
        .iter()
        .map(|m| format!("ApplyPendingMaintenanceAction {m}"))
        .collect();
    assert_eq!(upgrades, expected);
    roll.assert_no_violation();

    roll.commit();
    let truth = roll.h.wait_converged(&roll.committed).await.unwrap();
    for member in &truth.members {
        assert_eq!(member.version, target.to_string(), "{}", truth.summary());
        assert!(!member.super_read_only, "{}", truth.summary());
    }
    let steps = if parameters { 2 * n } else { n };
    let journaled = roll.h.journaled_actions().await.unwrap();
    assert_eq!(journaled.len(), steps, "{journaled:#?}");
    assert!(
        journaled
            .iter()
            .all(|a| a.starts_with("maintenance ") && a.ends_with(" succeeded")),
        "{journaled:#?}"
    );
    // Every RDS event of every step reached the event function: a shutdown and a restart per
    // reboot, downtime, start and end per upgrade.
    let events = roll.h.sim.rds().events();
    let expected = if parameters { 5 * n } else { 3 * n };
    assert_eq!(events.len(), expected, "{events:#?}");
    let alerts = roll.h.alerts().await.unwrap();
    assert!(
        alerts
            .iter()
            .all(|a| !a.attribute("incident").contains("maintenance_stalled")),
        "{alerts:#?}"
    );
}

#[tokio::test]
async fn a_rolling_parameter_change_and_minor_upgrade_of_three_8_0_members_go_newest_first() {
    // orders-2 runs a newer 8.0 than the others (read-only until they catch up): it goes first.
    roll_over(
        &["8.0.36", "8.0.37", "8.0.36"],
        true,
        "8.0.40",
        &["orders-2", "orders-1", "orders-3"],
    )
    .await;
}

#[tokio::test]
async fn a_rolling_parameter_change_and_minor_upgrade_of_five_8_0_members_go_lowest_last() {
    // Three versions: the newest first, then the two on 8.0.37, the two lowest (the writers)
    // last; members of one version in inventory order.
    roll_over(
        &["8.0.36", "8.0.37", "8.0.38", "8.0.36", "8.0.37"],
        true,
        "8.0.40",
        &["orders-3", "orders-2", "orders-5", "orders-1", "orders-4"],
    )
    .await;
}

#[tokio::test]
async fn a_rolling_minor_upgrade_of_five_8_4_members_goes_one_at_a_time() {
    // One long-term-support series: every member stays writable throughout; the same order.
    roll_over(
        &["8.4.2", "8.4.3", "8.4.2", "8.4.3", "8.4.2"],
        false,
        "8.4.4",
        &["orders-2", "orders-4", "orders-1", "orders-3", "orders-5"],
    )
    .await;
}

#[tokio::test]
async fn a_member_that_does_not_come_back_stops_the_roll_with_an_incident_and_no_further_step() {
    // Long enough that the tick after the step still sees it within the bound on a busy machine.
    let return_secs = 5;
    let mut roll = Roll::start(
        &["8.0.40"; 3],
        &[("GRKEEPER_MAINTENANCE_RETURN_SECS", &return_secs.to_string())],
    )
    .await;
    roll.hold(&PendingMaintenance::system_update());
    roll.h.sim.rds().stays_down("orders-1", true).unwrap();

    let stepped = tokio::time::Instant::now();
    let first = roll.sweep_once().await.unwrap();
    assert_eq!(
        taken(&first),
        ["maintenance orders-1 verified"],
        "{first:#}"
    );
    roll.deliver_events().await;
    // Waiting for it, within the bound: told, nothing more taken.
    let waiting = roll.sweep_once().await.unwrap();
    assert!(taken(&waiting).is_empty(), "{waiting:#}");
    assert!(
        findings(&waiting)
            .iter()
            .any(|f| f.kind == "maintenance_rolling" && f.instance == "orders-1"),
        "{waiting:#}"
    );
    tokio::time::sleep_until(stepped + Duration::from_secs(return_secs + 1)).await;
    for _ in 0..2 {
        let stalled = roll.sweep_once().await.unwrap();
        assert!(taken(&stalled).is_empty(), "{stalled:#}");
        let found = findings(&stalled);
        let incident = found
            .iter()
            .find(|f| f.kind == "maintenance_stalled")
            .unwrap_or_else(|| panic!("no maintenance_stalled: {found:#?}"));
        assert_eq!(
            (&incident.instance[..], &incident.severity[..]),
            ("orders-1", "critical")
        );
        let message = &incident.message;
        assert!(
            message.contains("grkeeper takes no further step")
                && message.contains("aws rds apply-pending-maintenance-action"),
            "{message}"
        );
    }
    assert_eq!(
        roll.h.sim.rds().status("orders-1").unwrap().as_str(),
        "maintenance"
    );
    assert_eq!(
        [
            roll.applied("orders-1"),
            roll.applied("orders-2"),
            roll.applied("orders-3")
        ],
        [1, 0, 0],
        "no further step"
    );
    let alerts = roll.h.alerts().await.unwrap();
    let paged: Vec<_> = alerts
        .iter()
        .filter(|a| {
            a.attribute("incident")
                .starts_with("orders/maintenance_stalled/orders-1/")
        })
        .collect();
    assert_eq!(paged.len(), 1, "paged once: {alerts:#?}");
    assert_eq!(paged[0].attribute("severity"), "critical");
    assert!(
        paged[0]
            .message
            .contains("Look at the instance in the RDS console"),
        "{}",
        paged[0].message
    );

    // Once it is back, the roll goes on by itself, one member at a time.
    roll.h.sim.rds().stays_down("orders-1", false).unwrap();
    roll.settle().await;
    let applied = roll.roll_through().await;
    assert_eq!(
        applied,
        [
            "ApplyPendingMaintenanceAction orders-1",
            "ApplyPendingMaintenanceAction orders-2",
            "ApplyPendingMaintenanceAction orders-3"
        ]
    );
    roll.assert_no_violation();
    roll.h.wait_converged(&roll.committed).await.unwrap();
}

#[tokio::test]
async fn a_tick_cut_off_mid_roll_is_resumed_by_the_next_without_repeating_a_step() {
    let mut roll = Roll::start(&["8.0.36"; 3], &[]).await;
    roll.hold(&PendingMaintenance::db_upgrade(version("8.0.40")));

    // Cut off after the intent is journaled, before the call: the transaction marking it sent
    // (a tick's second) never lands.
    roll.h
        .bridge
        .fail_after("dynamodb", Some("TransactWriteItems"), 1, Failure::Drop);
    let cut = roll.sweep_once().await;
    assert!(cut.is_err(), "{cut:?}");
    roll.h.bridge.heal();
    assert_eq!(roll.applied("orders-1"), 0);
    assert_eq!(
        roll.h.journaled_actions().await.unwrap(),
        ["maintenance orders-1 pending"]
    );
    // The next tick finds it never sent: not attempted, nothing called.
    let next = roll.sweep_once().await.unwrap();
    assert_eq!(
        taken(&next),
        ["maintenance orders-1 not_attempted (resumed)"],
        "{next:#}"
    );
    assert_eq!(roll.applied("orders-1"), 0);
    // Past the member cooldown, the same step is taken, once. (The RDS events wait until the
    // end: a tick they start would take the next step before the test cuts one off.)
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let step = roll.sweep_once().await.unwrap();
    assert_eq!(taken(&step), ["maintenance orders-1 verified"], "{step:#}");
    assert_eq!(roll.applied("orders-1"), 1);
    roll.settle().await;

    // Cut off after the call, before its outcome is journaled (a tick's third transaction).
    roll.h
        .bridge
        .fail_after("dynamodb", Some("TransactWriteItems"), 2, Failure::Drop);
    let cut = roll.sweep_once().await;
    assert!(cut.is_err(), "{cut:?}");
    roll.h.bridge.heal();
    assert_eq!(roll.applied("orders-2"), 1);
    assert_eq!(
        roll.h.journaled_actions().await.unwrap()[2..],
        ["maintenance orders-2 pending"]
    );
    roll.settle().await;
    // The next tick verifies the step it finds sent and does not call again.
    let next = roll.sweep_once().await.unwrap();
    assert_eq!(
        taken(&next)[0],
        "maintenance orders-2 verified (resumed)",
        "{next:#}"
    );
    assert_eq!(roll.applied("orders-2"), 1);

    roll.settle().await;
    roll.roll_through().await;
    assert_eq!(
        [
            roll.applied("orders-1"),
            roll.applied("orders-2"),
            roll.applied("orders-3")
        ],
        [1, 1, 1],
        "every step called once"
    );
    assert_eq!(
        roll.h.journaled_actions().await.unwrap(),
        [
            "maintenance orders-1 not_attempted",
            "maintenance orders-1 succeeded",
            "maintenance orders-2 succeeded",
            "maintenance orders-3 succeeded"
        ]
    );
    roll.assert_no_violation();
    let truth = roll.h.wait_converged(&roll.committed).await.unwrap();
    assert!(
        truth.members.iter().all(|m| m.version == "8.0.40"),
        "{}",
        truth.summary()
    );
}
