//! The tick over in-memory adapters: the order of journal writes, idempotency (a tick run twice,
//! ten ticks at once, a pending action from a dead tick) and dry runs. The same code runs over
//! the real adapters against the simulator and moto in the `tests/e2e` crate.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::*;
use crate::config::DEFAULT_DEPLOYMENT;
use crate::fixtures::ClusterBuilder;
use crate::model::{Endpoint, Instance, MemberReport, Observed, ProbeError};
use crate::plan::Action;
use crate::ports::clock::SystemClock;
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
    let env: BTreeMap<&str, &str> = BTreeMap::from([
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
    let config = crate::config::Config::from_lookup(|name| env.get(name).map(|v| v.to_string()))
        .expect("test configuration is valid");
    Keeper {
        config,
        rds,
        members,
        journal: MemoryJournal::new(),
        notifier,
        bus: MemoryBus::new(),
        clock: SystemClock,
    }
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
    // Opened (orders-2 offline) and resolved within the tick.
    let subjects: Vec<String> = keeper
        .notifier
        .sent()
        .iter()
        .map(|m| m.subject.clone())
        .collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
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
        2,
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

#[tokio::test]
async fn a_pending_action_left_by_a_dead_tick_is_verified_not_repeated() {
    let keeper = keeper(
        // The dead tick's rejoin worked: orders-2 is ONLINE now.
        ClusterBuilder::healthy(3),
        ClusterBuilder::healthy(3),
    );
    let now: DateTime<Utc> = Utc::now();
    let lease = match keeper
        .journal
        .acquire_lease("orders", "dead", now, std::time::Duration::from_secs(1))
        .await
        .unwrap()
    {
        crate::ports::journal::LeaseGrant::Acquired(lease) => lease,
        held => panic!("{held:?}"),
    };
    let action = Action {
        kind: ActionKind::Rejoin,
        instance: "orders-2".into(),
        reason: "test".into(),
    };
    keeper
        .journal
        .record_intent(&lease, &action, now)
        .await
        .unwrap();
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
        [
            "WARNING orders/orders-2: member offline",
            "RESOLVED orders/orders-2: member offline"
        ]
    );
    let third = keeper.tick(&sweep(), &options("t3")).await.unwrap();
    assert!(third.clusters[0].alerts.is_empty());
    assert_eq!(keeper.notifier.delivered.sent().len(), 2, "delivered once");
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
