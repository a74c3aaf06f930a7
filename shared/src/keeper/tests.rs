//! The tick over in-memory adapters: the order of journal writes, idempotency (a tick run twice,
//! ten ticks at once, a pending action from a dead tick) and dry runs. The same code runs over
//! the real adapters against the simulator and moto in the `tests/e2e` crate.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::*;
use crate::config::DEFAULT_DEPLOYMENT;
use crate::fixtures::{ClusterBuilder, GROUP};
use crate::model::{Endpoint, Instance, MemberReport, Observed, ProbeError};
use crate::plan::Action;
use crate::ports::clock::SystemClock;
use crate::ports::dns_zone::{Change, DnsError, DnsZone, MemoryZone, Record};
use crate::ports::journal::{Journal, LeaseStore, MemoryJournal};
use crate::ports::member_control::{Procedure, ProcedureReply};
use crate::ports::member_probe::MemoryMembers;
use crate::ports::notifier::{MemoryNotifier, Notifier};
use crate::ports::rds::{ClusterInventory, MemoryRds};
use crate::ports::reboot::CLAIM_TAG;
use crate::ports::topology_bus::MemoryBus;
use crate::snapshot::{ActionKind, Outcome};
use crate::trigger::Trigger;

/// The in-memory adapters, with the notifier `N`.
#[derive(Debug)]
struct InMemory<N>(PhantomData<N>);

impl<N: Notifier> Ports for InMemory<N> {
    type Rds = MemoryRds;
    type Members = MemoryMembers;
    type Journal = MemoryJournal;
    type Notifier = N;
    type Bus = MemoryBus;
    type Dns = MemoryZone;
    type Clock = SystemClock;
}

type TestKeeper = Keeper<InMemory<MemoryNotifier>>;

fn endpoint(instance: &Instance) -> Endpoint {
    let rds = instance
        .rds
        .seen()
        .expect("fixture instances have RDS records");
    Endpoint::new(
        rds.endpoint.clone().unwrap_or_default(),
        rds.port.unwrap_or(3306),
    )
}

fn reading(instance: &Instance) -> Result<MemberReport, ProbeError> {
    match &instance.mysql {
        Observed::Seen(report) => Ok(report.clone()),
        Observed::Failed(error) => Err(error.clone()),
    }
}

/// Loads a fixture cluster into memory adapters, and makes a rejoin of any member turn it into
/// what `healed` shows for it.
fn keeper(broken: ClusterBuilder, healed: ClusterBuilder) -> TestKeeper {
    keeper_with(broken, healed, MemoryNotifier::new())
}

fn keeper_with<N: Notifier>(
    broken: ClusterBuilder,
    healed: ClusterBuilder,
    notifier: N,
) -> Keeper<InMemory<N>> {
    let rds = MemoryRds::new();
    let members = MemoryMembers::new();
    let snapshot = broken.build();
    for instance in &snapshot.instances {
        if let Observed::Seen(r) = &instance.rds {
            // Kept by this deployment already (the claim's own tests start unclaimed).
            let mut r = r.clone();
            r.tags.insert(CLAIM_TAG.into(), DEFAULT_DEPLOYMENT.into());
            rds.insert(instance.id.clone(), r);
        }
        members.set(&endpoint(instance), reading(instance));
    }
    let healed: BTreeMap<Endpoint, Instance> = healed
        .build()
        .instances
        .into_iter()
        .map(|i| (endpoint(&i), i))
        .collect();
    let healed = Arc::new(healed);
    members.on_call(move |members, _endpoint, _procedure| {
        // Every member answers as in `healed` once any procedure ran.
        for (endpoint, instance) in healed.iter() {
            members.set(endpoint, reading(instance));
        }
        Ok(ProcedureReply {
            message: Some("Group Replication started successfully".into()),
        })
    });
    let config = config(&[]);
    Keeper {
        config,
        rds,
        members,
        journal: MemoryJournal::new(),
        notifier,
        bus: MemoryBus::new(),
        dns: MemoryZone::new(),
        clock: SystemClock,
    }
}

/// The test configuration, with `extra` variables.
fn config(extra: &[(&'static str, &'static str)]) -> crate::config::Config {
    let mut env: BTreeMap<&str, &str> = BTreeMap::from([
        ("GRKEEPER_INSTANCES", "orders=orders-1,orders-2,orders-3"),
        (
            "GRKEEPER_SECRET_ARN",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
        ),
        ("GRKEEPER_TABLE", "grkeeper"),
        (
            "GRKEEPER_TOPIC_ARN",
            "arn:aws:sns:us-east-1:123456789012:grkeeper",
        ),
        ("GRKEEPER_TLS", "disabled"),
        ("GRKEEPER_VERIFY_TIMEOUT_SECS", "5"),
    ]);
    env.extend(extra.iter().copied());
    crate::config::Config::from_lookup(|name| env.get(name).map(|v| v.to_string()))
        .expect("test configuration is valid")
}

fn options(owner: &str) -> TickOptions {
    TickOptions {
        owner: owner.into(),
        dry_run: false,
        deadline: None,
        emit_metrics: false,
    }
}

fn sweep() -> Trigger {
    crate::trigger::parse(br#"{"action": "sweep", "cluster": "orders"}"#).unwrap()
}

fn offline_orders_2() -> TestKeeper {
    keeper(
        ClusterBuilder::healthy(3).gr_stopped("orders-2"),
        ClusterBuilder::healthy(3),
    )
}

async fn history(keeper: &TestKeeper) -> crate::plan::History {
    keeper
        .journal
        .history("orders", Utc::now(), std::time::Duration::from_secs(3600))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_tick_journals_the_intent_acts_verifies_and_alerts() {
    let keeper = offline_orders_2();
    let summary = keeper.tick(&sweep(), &options("t1")).await.unwrap();
    let report = &summary.clusters[0];
    assert_eq!(report.outcome, ClusterOutcome::Ticked, "{report:#?}");
    assert_eq!(report.actions.len(), 1);
    assert_eq!(report.actions[0].kind, ActionKind::Rejoin);
    assert_eq!(
        report.actions[0].verdict,
        crate::keeper::act::Verdict::Verified
    );
    assert_eq!(keeper.members.calls().len(), 1);
    assert_eq!(keeper.members.calls()[0].1, Procedure::StartJoin);
    let past = history(&keeper).await.actions;
    assert_eq!(past.len(), 1);
    assert_eq!(past[0].outcome, Outcome::Succeeded);
    // Opened (orders-2 offline) and resolved within the tick: one message, telling the repair.
    let subjects: Vec<String> = keeper
        .notifier
        .sent()
        .iter()
        .map(|m| m.subject.clone())
        .collect();
    assert_eq!(
        subjects,
        ["RESOLVED orders/orders-2: member offline (repaired)"]
    );
    assert!(report.plan.as_ref().unwrap().findings.is_empty());
    assert!(!keeper.bus.events().is_empty());
}

#[tokio::test]
async fn running_the_same_tick_twice_acts_once() {
    let keeper = offline_orders_2();
    keeper.tick(&sweep(), &options("t1")).await.unwrap();
    let second = keeper.tick(&sweep(), &options("t2")).await.unwrap();
    assert!(second.clusters[0].actions.is_empty());
    assert_eq!(keeper.members.calls().len(), 1);
    assert_eq!(
        keeper.notifier.sent().len(),
        1,
        "a healthy cluster publishes nothing new"
    );
}

#[tokio::test]
async fn ten_ticks_at_once_take_exactly_one_action() {
    let keeper = Arc::new(offline_orders_2());
    let ticks = (0..10).map(|i| {
        let keeper = Arc::clone(&keeper);
        tokio::spawn(async move { keeper.tick(&sweep(), &options(&format!("t{i}"))).await })
    });
    let mut outcomes = Vec::new();
    for tick in ticks {
        outcomes.push(tick.await.unwrap().unwrap().clusters[0].outcome);
    }
    assert_eq!(keeper.members.calls().len(), 1, "{outcomes:?}");
    assert!(outcomes.contains(&ClusterOutcome::Ticked));
}

/// The lease of an earlier tick, taken at `now` for a second: it expires by itself.
async fn earlier_tick<N: Notifier>(
    keeper: &Keeper<InMemory<N>>,
    now: DateTime<Utc>,
) -> crate::ports::journal::Lease {
    match keeper
        .journal
        .acquire_lease("orders", "earlier", now, std::time::Duration::from_secs(1))
        .await
        .unwrap()
    {
        crate::ports::journal::LeaseGrant::Acquired(lease) => lease,
        held => panic!("a new journal's lease is free: {held:?}"),
    }
}

#[tokio::test]
async fn a_pending_action_left_by_a_dead_tick_is_verified_not_repeated() {
    let keeper = keeper(
        // The dead tick's rejoin worked: orders-2 is ONLINE now.
        ClusterBuilder::healthy(3),
        ClusterBuilder::healthy(3),
    );
    let now: DateTime<Utc> = Utc::now();
    let lease = earlier_tick(&keeper, now).await;
    let action = Action::new(ActionKind::Rejoin, "orders-2", "test");
    let id = keeper
        .journal
        .record_intent(&lease, &action, now)
        .await
        .unwrap();
    keeper.journal.mark_sent(&lease, &id).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let summary = keeper.tick(&sweep(), &options("next")).await.unwrap();
    let report = &summary.clusters[0];
    assert_eq!(report.actions.len(), 1, "{report:#?}");
    assert!(report.actions[0].resumed);
    assert!(keeper.members.calls().is_empty(), "nothing is called again");
    assert_eq!(
        history(&keeper).await.actions[0].outcome,
        Outcome::Succeeded
    );
}

#[tokio::test]
async fn a_pending_action_never_sent_is_recorded_not_attempted_without_a_false_failure() {
    // The dead tick journaled a reboot of orders-2 (in offline mode) and stopped before the call:
    // had the next tick verified it, the member still in offline mode would read as a reboot
    // that failed, and its next reboot as one made in vain ("rebuild needed").
    let keeper = keeper(
        ClusterBuilder::healthy(3).offline_mode("orders-2"),
        ClusterBuilder::healthy(3),
    );
    let now: DateTime<Utc> = Utc::now();
    let lease = earlier_tick(&keeper, now).await;
    let action = Action::new(ActionKind::Reboot, "orders-2", "test");
    keeper
        .journal
        .record_intent(&lease, &action, now)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let summary = keeper.tick(&sweep(), &options("next")).await.unwrap();
    let report = &summary.clusters[0];
    assert!(report.actions[0].resumed, "{report:#?}");
    assert_eq!(
        report.actions[0].verdict,
        crate::keeper::act::Verdict::NotAttempted
    );
    assert!(report.actions[0].summary.contains("never sent"));
    assert!(keeper.rds.reboots().is_empty(), "nothing was called");
    assert_eq!(
        history(&keeper).await.actions[0].outcome,
        Outcome::NotAttempted
    );
    let plan = report.plan.as_ref().unwrap();
    assert!(
        plan.findings
            .iter()
            .all(|f| f.kind != crate::plan::FindingKind::RebuildNeeded),
        "{plan:#?}"
    );
    assert!(
        plan.refused
            .iter()
            .all(|r| r.guard == crate::plan::Guard::Cooldown),
        "{plan:#?}"
    );
}

#[tokio::test]
async fn a_dry_run_plans_but_takes_no_lease_writes_nothing_and_sends_nothing() {
    let keeper = offline_orders_2();
    let mut dry = options("cli");
    dry.dry_run = true;
    let summary = keeper.tick(&sweep(), &dry).await.unwrap();
    let report = &summary.clusters[0];
    assert_eq!(report.outcome, ClusterOutcome::DryRun);
    let plan = report.plan.as_ref().unwrap();
    assert_eq!(plan.action.as_ref().unwrap().kind, ActionKind::Rejoin);
    assert!(keeper.members.calls().is_empty());
    assert!(keeper.notifier.sent().is_empty());
    assert!(
        !report.alerts.is_empty(),
        "the alerts it would send are reported"
    );
    assert!(history(&keeper).await.actions.is_empty());
}

#[tokio::test]
async fn an_event_for_an_instance_of_no_kept_cluster_ticks_nothing() {
    let keeper = offline_orders_2();
    let event = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../events/rds-instance-restarted.json"
    ))
    .unwrap();
    let trigger = crate::trigger::parse(&event).unwrap();
    // The sample event is about orders-2: it ticks the cluster.
    let summary = keeper.tick(&trigger, &options("e")).await.unwrap();
    assert_eq!(summary.clusters.len(), 1);
    let other = crate::trigger::parse(br#"{"action": "sweep", "instance": "billing-1"}"#).unwrap();
    let error = keeper.tick(&other, &options("e")).await.unwrap_err();
    assert_eq!(error.kind(), "unknown_instance");
}

/// Delivers like [`MemoryNotifier`], or fails while `down` (SNS unreachable).
struct FlakyNotifier {
    delivered: MemoryNotifier,
    down: std::sync::atomic::AtomicBool,
}

impl Notifier for FlakyNotifier {
    async fn publish(
        &self,
        message: &crate::report::AlertMessage,
    ) -> Result<(), crate::ports::notifier::AlertError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            let unreachable = crate::ports::aws::AwsError::entry_failure(
                "SNS.Publish",
                Some("InternalError"),
                "SNS is down".into(),
            );
            return Err(unreachable.into());
        }
        self.delivered.publish(message).await
    }
}

#[tokio::test]
async fn alerts_sns_could_not_take_are_delivered_by_the_next_tick_even_once_the_problem_is_gone() {
    let notifier = FlakyNotifier {
        delivered: MemoryNotifier::new(),
        down: true.into(),
    };
    let keeper = keeper_with(
        ClusterBuilder::healthy(3).gr_stopped("orders-2"),
        ClusterBuilder::healthy(3),
        notifier,
    );
    let first = keeper.tick(&sweep(), &options("t1")).await.unwrap();
    let report = &first.clusters[0];
    assert_eq!(report.outcome, ClusterOutcome::Failed, "{report:#?}");
    assert_eq!(report.actions.len(), 1, "the safe repair was still made");
    assert!(keeper.notifier.delivered.sent().is_empty());

    keeper
        .notifier
        .down
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let second = keeper.tick(&sweep(), &options("t2")).await.unwrap();
    assert_eq!(second.clusters[0].outcome, ClusterOutcome::Ticked);
    assert!(second.clusters[0].actions.is_empty());
    let subjects: Vec<String> = keeper
        .notifier
        .delivered
        .sent()
        .iter()
        .map(|m| m.subject.clone())
        .collect();
    assert_eq!(
        subjects,
        ["RESOLVED orders/orders-2: member offline (repaired)"]
    );
    let third = keeper.tick(&sweep(), &options("t3")).await.unwrap();
    assert!(third.clusters[0].alerts.is_empty());
    assert_eq!(keeper.notifier.delivered.sent().len(), 1, "delivered once");
}

#[tokio::test]
async fn a_kept_cluster_without_instances_fails_as_a_configuration_problem_not_an_outage() {
    let keeper = offline_orders_2();
    let empty = ClusterInventory {
        cluster: "billing".into(),
        instances: Vec::new(),
    };
    let report = cluster::tick(&keeper, &empty, &options("t")).await;
    assert_eq!(report.outcome, ClusterOutcome::Failed);
    assert_eq!(report.error_kind, Some("empty_cluster"));
    assert!(
        keeper.notifier.sent().is_empty(),
        "nothing to page anyone about"
    );
}

/// grkeeper's time moved by the tick's own waits instead of waiting: a verification's pauses
/// cost nothing, and whatever they wait for (a spawned task) runs meanwhile.
#[derive(Debug, Default)]
struct SteppingClock {
    ahead_ms: std::sync::atomic::AtomicI64,
}

impl crate::ports::clock::Clock for SteppingClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
            + chrono::TimeDelta::milliseconds(
                self.ahead_ms.load(std::sync::atomic::Ordering::SeqCst),
            )
    }

    async fn sleep(&self, duration: std::time::Duration) {
        let ms = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
        self.ahead_ms
            .fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
        tokio::task::yield_now().await;
    }
}

#[derive(Debug)]
enum Stepping {}

impl Ports for Stepping {
    type Rds = MemoryRds;
    type Members = MemoryMembers;
    type Journal = MemoryJournal;
    type Notifier = MemoryNotifier;
    type Bus = MemoryBus;
    type Dns = MemoryZone;
    type Clock = SteppingClock;
}

#[tokio::test]
async fn a_tick_takes_one_disruptive_action_and_leaves_the_next_for_the_next_tick() {
    // Two members in offline mode, each needing a reboot; each reboot brings its member back.
    let both = ClusterBuilder::healthy(3)
        .offline_mode("orders-2")
        .offline_mode("orders-3");
    let stages = [
        ClusterBuilder::healthy(3).offline_mode("orders-3").build(),
        ClusterBuilder::healthy(3).build(),
    ];
    let base = keeper(both, ClusterBuilder::healthy(3));
    let keeper: Keeper<Stepping> = Keeper {
        config: base.config,
        rds: base.rds,
        members: base.members,
        journal: base.journal,
        notifier: base.notifier,
        bus: base.bus,
        dns: base.dns,
        clock: SteppingClock::default(),
    };
    let members = keeper.members.clone();
    let reboots = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    keeper.rds.on_reboot(move |rds, id| {
        let n = reboots.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let after = stages[n.min(1)].clone();
        let (rds, members, id) = (rds.clone(), members.clone(), id.to_owned());
        // RDS shows `rebooting` until the member is back.
        tokio::spawn(async move {
            for instance in &after.instances {
                members.set(&endpoint(instance), reading(instance));
            }
            rds.set_status(&id, "available");
        });
    });

    let first = keeper.tick(&sweep(), &options("t1")).await.unwrap();
    let report = &first.clusters[0];
    assert_eq!(keeper.rds.reboots(), ["orders-2"], "{report:#?}");
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("one disruptive action per tick")),
        "{:?}",
        report.notes
    );
    let second = keeper.tick(&sweep(), &options("t2")).await.unwrap();
    assert_eq!(
        keeper.rds.reboots(),
        ["orders-2", "orders-3"],
        "{second:#?}"
    );
}

/// Rejects, for good, every message whose subject contains `refused` (as SNS answers a message
/// it will never take: `InvalidParameter`), and delivers the others.
struct RejectingNotifier {
    delivered: MemoryNotifier,
    refused: &'static str,
}

impl Notifier for RejectingNotifier {
    async fn publish(
        &self,
        message: &crate::report::AlertMessage,
    ) -> Result<(), crate::ports::notifier::AlertError> {
        if message.subject.contains(self.refused) && !message.is_notice() {
            let rejected = crate::ports::aws::AwsError::entry_failure(
                "SNS.Publish",
                Some("InvalidParameter"),
                "Invalid parameter: Message too long".into(),
            );
            return Err(rejected.into());
        }
        self.delivered.publish(message).await
    }
}

/// The endpoint a fixture instance is probed at.
fn endpoint_of(snapshot: &crate::snapshot::Snapshot, id: &str) -> Endpoint {
    endpoint(
        snapshot
            .instances
            .iter()
            .find(|i| i.id == id)
            .expect("a fixture instance"),
    )
}

#[tokio::test]
async fn a_tick_remembers_each_member_as_read_and_knows_its_own_database_user() {
    let keeper = offline_orders_2();
    keeper.members.set_user("grkeeper");
    let first = keeper.tick(&sweep(), &options("t1")).await.unwrap();
    let snapshot = first.clusters[0].snapshot.as_ref().unwrap();
    assert_eq!(snapshot.db_user.as_deref(), Some("grkeeper"));
    let remembered = history(&keeper).await.last_seen;
    assert_eq!(
        remembered.keys().map(String::as_str).collect::<Vec<_>>(),
        ["orders-1", "orders-2", "orders-3"]
    );
    assert_eq!(
        remembered["orders-3"].server_uuid,
        crate::fixtures::server_uuid(3)
    );

    // orders-3 stops answering: what it held when last read stays remembered.
    keeper.members.set(
        &endpoint_of(snapshot, "orders-3"),
        Err(ProbeError::Refused {
            message: "Connection refused (os error 111)".into(),
        }),
    );
    keeper.tick(&sweep(), &options("t2")).await.unwrap();
    let later = history(&keeper).await.last_seen;
    assert_eq!(later["orders-3"], remembered["orders-3"]);
    assert!(later["orders-1"].at > remembered["orders-1"].at);
}

#[tokio::test]
async fn a_member_outside_the_inventory_is_remembered_after_the_views_forget_it() {
    let keeper = keeper(
        ClusterBuilder::healthy(3).also_lists("orders-1", 9, crate::model::MemberState::Online),
        ClusterBuilder::healthy(3),
    );
    keeper.tick(&sweep(), &options("t1")).await.unwrap();
    let strangers = history(&keeper).await.strangers;
    assert_eq!(
        strangers
            .iter()
            .map(|s| s.member_id.as_str())
            .collect::<Vec<_>>(),
        [crate::fixtures::server_uuid(9)]
    );
}

#[tokio::test]
async fn the_record_of_an_instance_that_left_the_inventory_is_deleted() {
    let keeper = offline_orders_2();
    let now = Utc::now();
    let lease = earlier_tick(&keeper, now).await;
    let gone = crate::plan::Memory {
        last_seen: BTreeMap::from([(
            "orders-9".to_owned(),
            crate::plan::LastSeen {
                at: now,
                server_uuid: crate::fixtures::server_uuid(9),
                gtid_executed: Default::default(),
                received: Default::default(),
                gtid_purged: Default::default(),
                executed_since: now,
                lost: Default::default(),
                address: Default::default(),
            },
        )]),
        ..Default::default()
    };
    keeper
        .journal
        .save_memory(&lease, &gone, &Default::default())
        .await
        .unwrap();
    keeper.journal.release_lease(&lease, now).await.unwrap();
    assert!(history(&keeper).await.last_seen.contains_key("orders-9"));

    keeper.tick(&sweep(), &options("t1")).await.unwrap();
    let remembered = history(&keeper).await.last_seen;
    assert!(!remembered.contains_key("orders-9"), "{remembered:?}");
    assert_eq!(remembered.len(), 3);
}

#[tokio::test]
async fn after_a_split_brain_the_other_group_is_not_rejoined_once_a_person_stopped_it() {
    // orders-3 runs a group of its own; then a person stops it (through RDS, so no GR stop is
    // recorded) and it comes back OFFLINE holding what looks like a subset of the group's
    // transactions.
    let keeper = keeper(
        ClusterBuilder::healthy(3).split_brain(&["orders-3"]),
        ClusterBuilder::healthy(3),
    );
    let split = keeper.tick(&sweep(), &options("t1")).await.unwrap();
    assert!(split.clusters[0].actions.is_empty());
    assert!(history(&keeper).await.split_brain.is_some());

    let stopped = ClusterBuilder::healthy(3)
        .gr_stopped("orders-3")
        .executed("orders-3", &format!("{}:1-95", crate::fixtures::GROUP))
        .build();
    for instance in &stopped.instances {
        keeper.members.set(&endpoint(instance), reading(instance));
    }
    let after = keeper.tick(&sweep(), &options("t2")).await.unwrap();
    let report = &after.clusters[0];
    assert!(report.actions.is_empty(), "{report:#?}");
    let plan = report.plan.as_ref().unwrap();
    assert_eq!(
        plan.refused
            .iter()
            .map(|r| (r.action, r.instance.as_str(), r.guard))
            .collect::<Vec<_>>(),
        [(
            ActionKind::Rejoin,
            "orders-3",
            crate::plan::Guard::SplitBrain
        )]
    );
    assert!(keeper.members.calls().is_empty());
}

fn claimed_by(keeper: &TestKeeper, deployment: Option<&str>) {
    for id in ["orders-1", "orders-2", "orders-3"] {
        let mut record = keeper.rds.instance(id).expect("fixture instance");
        match deployment {
            Some(by) => record.tags.insert(CLAIM_TAG.into(), by.into()),
            None => record.tags.remove(CLAIM_TAG),
        };
        keeper.rds.insert(id, record);
    }
}

#[tokio::test]
async fn an_alert_sns_rejects_for_good_is_parked_and_the_alerts_after_it_still_go_out() {
    let notifier = RejectingNotifier {
        delivered: MemoryNotifier::new(),
        refused: "orders-2",
    };
    // orders-2 cannot rejoin (errant transactions): its alert is rejected. orders-3's seeds
    // drift: its alert comes after and must still be delivered.
    let stuck = ClusterBuilder::healthy(3)
        .gr_stopped("orders-2")
        .executed(
            "orders-2",
            &format!("{GROUP}:1-100,{}:1-2", crate::fixtures::server_uuid(2)),
        )
        .report("orders-3", |r| r.settings.group_seeds.truncate(1));
    let keeper = keeper_with(stuck.clone(), stuck, notifier);

    let first = keeper.tick(&sweep(), &options("t1")).await.unwrap();
    let report = &first.clusters[0];
    assert_eq!(report.outcome, ClusterOutcome::Ticked, "{report:#?}");
    assert_eq!(report.alerts_parked, 1, "{report:#?}");
    assert_eq!(report.parked.len(), 1);
    assert!(report.parked[0].subject.contains("orders-2"));
    assert!(report.parked[0].error.contains("Message too long"));
    assert!(
        report.notes.iter().any(|n| n.contains("parked")),
        "{report:#?}"
    );
    let sent = keeper.notifier.delivered.sent();
    let subjects: Vec<&str> = sent.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    // The rejected alert's notice, with its attributes so a page still pages, then the next.
    assert!(sent[0].is_notice() && sent[0].subject.contains("orders-2"));
    assert_eq!(sent[0].attributes["severity"], "critical");
    assert!(subjects[1].contains("orders-3"), "{subjects:?}");

    // The next tick does not try the parked alert again, and the queue is empty.
    let second = keeper.tick(&sweep(), &options("t2")).await.unwrap();
    assert_eq!(second.clusters[0].alerts_parked, 0);
    assert_eq!(second.clusters[0].parked.len(), 1, "still shown");
    assert_eq!(keeper.notifier.delivered.sent().len(), 2);
    let saved = keeper.journal.alerting("orders").await.unwrap();
    assert!(saved.undelivered.is_empty());
    assert_eq!(saved.parked.len(), 1);
}

/// Log lines written to memory, as the functions write them to stderr.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The "planned on this snapshot" lines of `logs`, as JSON.
fn snapshot_lines(logs: &Captured) -> Vec<serde_json::Value> {
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    logs.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["fields"]["message"] == "planned on this snapshot")
        .collect()
}

#[tokio::test]
async fn a_refusal_logs_at_info_the_snapshot_that_replays_to_the_same_plan_once() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    // A person stopped GR on orders-2: the rejoin it needs is refused, nothing is done.
    let stopped =
        ClusterBuilder::healthy(3).stopped_by("orders-2", "dba@10.0.3.7", "2026-11-30 11:00:00");
    let keeper = keeper(stopped.clone(), stopped);

    let summary = keeper.tick(&sweep(), &options("tick-42")).await.unwrap();

    let plan = summary.clusters[0].plan.clone().unwrap();
    assert_eq!(plan.refused.len(), 1, "{plan:#?}");
    let lines = snapshot_lines(&captured);
    let [line] = lines.as_slice() else {
        panic!("one snapshot line expected: {lines:#?}")
    };
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["fields"]["tick"], "tick-42");
    let snapshot =
        crate::snapshot::Snapshot::from_json(line["fields"]["snapshot"].as_str().unwrap()).unwrap();
    assert_eq!(crate::plan::plan(&snapshot), plan);

    // The same refusal on the next tick is no news: its snapshot goes to debug only.
    let again = keeper.tick(&sweep(), &options("tick-43")).await.unwrap();
    assert_eq!(again.clusters[0].plan.as_ref().unwrap().refused.len(), 1);
    let lines = snapshot_lines(&captured);
    let levels: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["fields"]["tick"].as_str().unwrap_or_default(),
                l["level"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(levels, [("tick-42", "INFO"), ("tick-43", "DEBUG")]);
}

#[tokio::test]
async fn a_cluster_another_deployment_keeps_is_refused_and_nothing_is_done() {
    let keeper = offline_orders_2();
    claimed_by(&keeper, Some("grkeeper-other"));

    let summary = keeper.tick(&sweep(), &options("t1")).await.unwrap();

    let report = &summary.clusters[0];
    assert_eq!(report.outcome, ClusterOutcome::Failed);
    assert_eq!(report.error_kind, Some("kept_by_another_deployment"));
    let error = report.error.as_deref().unwrap_or_default();
    assert!(
        error.contains(r#"kept by deployment "grkeeper-other""#),
        "{error}"
    );
    assert!(report.actions.is_empty());
    assert!(keeper.members.calls().is_empty());
    assert_eq!(
        keeper.rds.instance("orders-1").unwrap().tags[CLAIM_TAG],
        "grkeeper-other",
        "the other deployment's claim is left alone"
    );
}

#[tokio::test]
async fn an_unclaimed_cluster_is_claimed_and_acted_on_from_the_next_tick() {
    let keeper = offline_orders_2();
    claimed_by(&keeper, None);

    let first = keeper.tick(&sweep(), &options("t1")).await.unwrap();
    assert!(first.clusters[0].actions.is_empty(), "{first:?}");
    assert!(
        first.clusters[0]
            .notes
            .iter()
            .any(|n| n.starts_with("claimed orders-1, orders-2, orders-3 for deployment grkeeper")),
        "{first:?}"
    );
    for id in ["orders-1", "orders-2", "orders-3"] {
        assert_eq!(keeper.rds.instance(id).unwrap().tags[CLAIM_TAG], "grkeeper");
    }

    let second = keeper.tick(&sweep(), &options("t2")).await.unwrap();
    assert_eq!(second.clusters[0].actions.len(), 1, "{second:?}");
}

#[tokio::test]
async fn a_dry_run_claims_nothing() {
    let keeper = offline_orders_2();
    claimed_by(&keeper, None);
    let mut dry = options("t1");
    dry.dry_run = true;
    keeper.tick(&sweep(), &dry).await.unwrap();
    assert!(
        !keeper
            .rds
            .instance("orders-1")
            .unwrap()
            .tags
            .contains_key(CLAIM_TAG)
    );
}

/// DNS names kept in zone `Z1` for the test cluster.
fn with_names(mut keeper: TestKeeper) -> TestKeeper {
    keeper.config = config(&[
        ("GRKEEPER_DNS_ZONE_ID", "Z1"),
        ("GRKEEPER_DNS_MEMBERS_NAME", "{cluster}-members.db.internal"),
        ("GRKEEPER_DNS_ACTIVE_NAME", "{cluster}-active.db.internal"),
    ]);
    keeper
}

#[tokio::test]
async fn the_names_change_once_per_transition_however_often_or_concurrently_ticked() {
    let keeper = with_names(offline_orders_2());
    // orders-2 is rejoined within the first tick: the names then list all three.
    let (trigger, one, two) = (sweep(), options("t1"), options("t2"));
    let (a, b) = tokio::join!(keeper.tick(&trigger, &one), keeper.tick(&trigger, &two));
    let (a, b) = (a.unwrap(), b.unwrap());
    keeper.tick(&sweep(), &options("t3")).await.unwrap();
    keeper.tick(&sweep(), &options("t1")).await.unwrap();
    assert_eq!(keeper.dns.batches().len(), 1, "{a:#?} {b:#?}");
    let records = keeper.dns.all("Z1");
    let members: Vec<_> = records
        .iter()
        .filter(|r| r.name == "orders-members.db.internal.")
        .filter_map(|r| r.set_identifier.as_deref())
        .collect();
    assert_eq!(members, ["orders-1", "orders-2", "orders-3"]);
    let active: Vec<_> = records
        .iter()
        .filter(|r| r.name == "orders-active.db.internal.")
        .collect();
    assert_eq!(active.len(), 1, "{records:#?}");
    let journaled = keeper.journal.dns_changes("orders").await.unwrap();
    assert_eq!(journaled.len(), 1, "{journaled:#?}");
    assert_eq!(journaled[0].outcome, Outcome::Succeeded);
    assert_eq!(journaled[0].changes, keeper.dns.batches()[0]);
    assert!(history(&keeper).await.active.is_some());
    let endpoint_events = keeper
        .bus
        .events()
        .iter()
        .filter(|e| e.detail_type() == "GR Endpoint Change")
        .count();
    assert_eq!(endpoint_events, 4, "one per record created");
}

#[tokio::test]
async fn a_batch_built_on_records_that_changed_is_refused_whole_and_journaled_so() {
    let keeper = with_names(offline_orders_2());
    keeper.tick(&sweep(), &options("t1")).await.unwrap();
    let [first] = keeper.dns.batches().try_into().unwrap();
    // A record of the members name is changed behind grkeeper's back: the next batch deletes
    // it with the values read, so it goes through; a batch on a stale reading would not.
    let stale = vec![Change::Delete(match &first[0] {
        Change::Create(r) => Record {
            value: "elsewhere.example.".into(),
            ..r.clone()
        },
        Change::Delete(r) => r.clone(),
    })];
    assert!(matches!(
        keeper.dns.change("Z1", &stale, "test").await,
        Err(DnsError::Stale(_))
    ));
    assert_eq!(
        keeper.dns.batches().len(),
        1,
        "a refused batch changes nothing"
    );
}

#[tokio::test]
async fn watch_mode_ticks_at_every_interval_and_publishes_each_change_once() {
    let keeper = with_names(offline_orders_2());
    let watch = crate::config::Watch {
        interval: std::time::Duration::from_millis(100),
        until: std::time::Duration::from_millis(350),
    };
    let (summary, ticks) = keeper
        .watch(&sweep(), &options("w1"), &watch)
        .await
        .unwrap();
    assert_eq!(ticks, 4, "{summary:#?}");
    assert_eq!(summary.clusters[0].outcome, ClusterOutcome::Ticked);
    assert_eq!(
        keeper.members.calls().len(),
        1,
        "one rejoin, in the first tick"
    );
    assert_eq!(keeper.dns.batches().len(), 1);
}

/// What a tick reads is journaled for the next (chaos seed 1766): orders-1 alone held 20-47 when
/// read; then a snapshot of orders-2 is restored into it and every member is OFFLINE. orders-3
/// holds what every member holds now, but the next tick still knows what orders-1 held, and
/// bootstraps nothing.
#[tokio::test]
async fn what_a_tick_read_outlives_a_restore_over_it() {
    let group = crate::fixtures::GROUP;
    let keeper = keeper(
        ClusterBuilder::healthy(3).executed("orders-1", &format!("{group}:1-47")),
        ClusterBuilder::healthy(3),
    );
    keeper.tick(&sweep(), &options("t1")).await.unwrap();
    let first = history(&keeper).await;
    assert_eq!(
        first.last_seen["orders-1"].gtid_executed,
        format!("{group}:1-47").parse().unwrap()
    );
    assert_eq!(first.last_seen.len(), 3);
    let restored = ClusterBuilder::healthy(3)
        .complete_outage()
        .same_uuid_as("orders-1", 2)
        .executed("orders-1", &format!("{group}:1-16"))
        .executed("orders-2", &format!("{group}:1-16"))
        .executed("orders-3", &format!("{group}:1-19"))
        .build();
    for instance in &restored.instances {
        keeper.members.set(&endpoint(instance), reading(instance));
    }
    let summary = keeper.tick(&sweep(), &options("t2")).await.unwrap();
    let plan = summary.clusters[0].plan.as_ref().expect("planned");
    assert_eq!(plan.action, None, "{plan:#?}");
    assert!(
        plan.refused
            .iter()
            .any(|r| r.guard == crate::plan::Guard::NoGtidSuperset),
        "{plan:#?}"
    );
    let second = history(&keeper).await;
    let taken: crate::gtid::GtidSet = format!("{group}:20-47").parse().unwrap();
    assert!(
        taken.is_subset(&second.last_seen["orders-1"].lost),
        "{:#?}",
        second.last_seen["orders-1"]
    );
}

mod places;
mod roll;
