//! The behaviour every journal backend must show, as one suite: the memory journal runs it in
//! unit tests, the DynamoDB journal against moto in the e2e crate (feature `fixtures`). Each case
//! works on its own cluster, so the suite can share a table with other tests.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use crate::gtid::GtidSet;
use crate::plan::{Action, FindingKind, Memory, Severity};
use crate::ports::dns_zone::{Change, Record};
use crate::report::{AlertMessage, Incident};
use crate::snapshot::{
    ActionKind, ActiveMember, Approval, BinlogSample, Condition, History, LastSeen, Outcome, Pause,
    SplitBrain, Stranger,
};

use super::{
    ActionId, Alerting, DnsChange, Journal, JournalError, Lease, LeaseGrant, LeaseStore, Parked,
    Tracked,
};

const TTL: Duration = Duration::from_secs(300);

/// Runs every case against `journal`; the panic message names the failing case.
pub async fn run<J>(journal: &J)
where
    J: LeaseStore + Journal + Clone + 'static,
{
    only_one_of_ten_concurrent_acquirers_gets_the_lease(journal).await;
    an_expired_lease_is_taken_over_with_a_higher_epoch(journal).await;
    a_write_with_a_stale_epoch_is_rejected_and_changes_nothing(journal).await;
    a_renewed_lease_stays_ours_and_a_released_one_is_free(journal).await;
    recording_the_same_intent_twice_keeps_one_pending_action(journal).await;
    an_intent_settled_or_of_another_epoch_is_not_recorded_again(journal).await;
    an_outcome_settles_the_action_and_an_unknown_action_is_refused(journal).await;
    an_intent_is_sent_only_once_marked(journal).await;
    history_keeps_recent_and_pending_actions_and_drops_old_settled_ones(journal).await;
    pauses_and_approvals_count_until_they_expire(journal).await;
    conditions_and_incidents_read_back_as_saved(journal).await;
    the_memory_reads_back_as_saved_and_a_forgotten_record_is_gone(journal).await;
    a_record_larger_than_an_item_reads_back_whole(journal).await;
    a_dns_change_is_journaled_once_then_settled(journal).await;
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn secs(n: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(n)
}

fn ok<T, E: Debug>(result: Result<T, E>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("{what}: {error:?}"),
    }
}

async fn take(journal: &impl LeaseStore, cluster: &str, owner: &str, now: DateTime<Utc>) -> Lease {
    match ok(
        journal.acquire_lease(cluster, owner, now, TTL).await,
        "acquire",
    ) {
        LeaseGrant::Acquired(lease) => lease,
        held => panic!("{cluster}: expected to acquire the lease, got {held:?}"),
    }
}

fn rejoin(instance: &str) -> Action {
    Action::new(
        ActionKind::Rejoin,
        instance,
        "OFFLINE with a quorum group to join",
    )
}

async fn history(journal: &impl Journal, cluster: &str, now: DateTime<Utc>) -> History {
    ok(
        journal
            .history(cluster, now, Duration::from_secs(3600))
            .await,
        "history",
    )
}

/// Ten ticks take the lease of `cluster` at `now` at once: the winners, and whom the others
/// saw holding it until when.
async fn race<J>(
    journal: &J,
    cluster: &'static str,
    now: DateTime<Utc>,
) -> (Vec<Lease>, Vec<(String, DateTime<Utc>)>)
where
    J: LeaseStore + Clone + 'static,
{
    let mut race = tokio::task::JoinSet::new();
    for n in 0..10 {
        let journal = journal.clone();
        race.spawn(async move {
            journal
                .acquire_lease(cluster, &format!("tick-{n}"), now, TTL)
                .await
        });
    }
    let mut winners = Vec::new();
    let mut holders = Vec::new();
    while let Some(joined) = race.join_next().await {
        match ok(ok(joined, "join"), "acquire") {
            LeaseGrant::Acquired(lease) => winners.push(lease),
            LeaseGrant::Held { owner, until } => holders.push((owner, until)),
        }
    }
    (winners, holders)
}

/// Ten ticks race for a new lease, then again once it expired: each time exactly one wins
/// (with the next epoch) and the others see it held by the winner.
pub async fn only_one_of_ten_concurrent_acquirers_gets_the_lease<J>(journal: &J)
where
    J: LeaseStore + Clone + 'static,
{
    let cluster = "contract-race";
    for (now, epoch) in [(t0(), 1), (secs(300), 2)] {
        let (winners, holders) = race(journal, cluster, now).await;
        assert_eq!(winners.len(), 1, "{cluster} at {now}: winners {winners:?}");
        let winner = &winners[0];
        assert_eq!(
            (winner.epoch, winner.expires),
            (epoch, now + TimeDelta::seconds(300)),
            "{cluster}"
        );
        for (owner, until) in holders {
            assert_eq!(
                (owner.as_str(), until),
                (winner.owner.as_str(), winner.expires),
                "{cluster}"
            );
        }
    }
}

/// A lease past its expiry goes to the next tick, with the next epoch; before expiry it is held.
pub async fn an_expired_lease_is_taken_over_with_a_higher_epoch(journal: &impl LeaseStore) {
    let cluster = "contract-takeover";
    let first = take(journal, cluster, "tick-a", t0()).await;
    let early = ok(
        journal
            .acquire_lease(cluster, "tick-b", secs(299), TTL)
            .await,
        "acquire",
    );
    assert_eq!(
        early,
        LeaseGrant::Held {
            owner: "tick-a".into(),
            until: secs(300)
        },
        "{cluster}"
    );
    let second = take(journal, cluster, "tick-b", secs(300)).await;
    assert_eq!(second.epoch, first.epoch + 1, "{cluster}");
    let again = take(journal, cluster, "tick-b", secs(301)).await;
    assert_eq!(
        again.epoch,
        second.epoch + 1,
        "{cluster}: re-taking our own lease fences our past"
    );
}

/// A tick whose lease was taken over cannot write anything, and its attempt leaves no trace.
pub async fn a_write_with_a_stale_epoch_is_rejected_and_changes_nothing<J>(journal: &J)
where
    J: LeaseStore + Journal,
{
    let cluster = "contract-stale";
    let stale = take(journal, cluster, "tick-a", t0()).await;
    let current = take(journal, cluster, "tick-b", secs(400)).await;
    let lost = |result: Result<(), JournalError>, what: &str| match result {
        Err(JournalError::LeaseLost { epoch, .. }) => {
            assert_eq!(epoch, stale.epoch, "{cluster}: {what}")
        }
        other => panic!("{cluster}: {what} with a stale epoch gave {other:?}"),
    };
    lost(
        journal
            .record_intent(&stale, &rejoin("db2"), secs(401))
            .await
            .map(drop),
        "intent",
    );
    lost(
        journal.save_tracked(&stale, &Tracked::default()).await,
        "conditions",
    );
    lost(
        journal.save_alerting(&stale, &Alerting::default()).await,
        "incidents",
    );
    lost(
        journal
            .save_memory(&stale, &memory(&["db1"], 1), &Memory::default())
            .await,
        "memory",
    );
    let id = ActionId::new(secs(401), ActionKind::Rejoin, "db2");
    lost(journal.mark_sent(&stale, &id).await, "mark sent");
    lost(
        journal.renew_lease(&stale, secs(401), TTL).await.map(drop),
        "renew",
    );
    assert_eq!(
        history(journal, cluster, secs(402)).await,
        History::default(),
        "{cluster}"
    );
    ok(
        journal.release_lease(&stale, secs(402)).await,
        "releasing a lost lease is not an error",
    );
    let still = ok(
        journal
            .acquire_lease(cluster, "tick-c", secs(402), TTL)
            .await,
        "acquire",
    );
    assert!(
        matches!(still, LeaseGrant::Held { ref owner, .. } if *owner == current.owner),
        "{cluster}: a stale release must not free the current lease: {still:?}"
    );
}

/// Renewing moves the expiry; releasing lets the next tick in at once.
pub async fn a_renewed_lease_stays_ours_and_a_released_one_is_free(journal: &impl LeaseStore) {
    let cluster = "contract-renew";
    let lease = take(journal, cluster, "tick-a", t0()).await;
    let renewed = ok(journal.renew_lease(&lease, secs(200), TTL).await, "renew");
    assert_eq!(
        (renewed.epoch, renewed.expires),
        (lease.epoch, secs(500)),
        "{cluster}"
    );
    let held = ok(
        journal
            .acquire_lease(cluster, "tick-b", secs(400), TTL)
            .await,
        "acquire",
    );
    assert!(
        matches!(held, LeaseGrant::Held { .. }),
        "{cluster}: {held:?}"
    );
    ok(journal.release_lease(&renewed, secs(401)).await, "release");
    let next = take(journal, cluster, "tick-b", secs(401)).await;
    assert_eq!(next.epoch, lease.epoch + 1, "{cluster}");
}

/// The same intent recorded twice (a retried call) is one pending action with one id.
pub async fn recording_the_same_intent_twice_keeps_one_pending_action<J>(journal: &J)
where
    J: LeaseStore + Journal,
{
    let cluster = "contract-intent";
    let lease = take(journal, cluster, "tick-a", t0()).await;
    let at = secs(10) + TimeDelta::microseconds(123_456);
    let first = ok(
        journal.record_intent(&lease, &rejoin("db2"), at).await,
        "intent",
    );
    let second = ok(
        journal.record_intent(&lease, &rejoin("db2"), at).await,
        "intent again",
    );
    assert_eq!(first, second, "{cluster}");
    let past = history(journal, cluster, secs(20)).await.actions;
    assert_eq!(past.len(), 1, "{cluster}: {past:?}");
    assert_eq!(past[0].outcome, Outcome::Pending, "{cluster}");
    assert_eq!(
        ActionId::of(&past[0]),
        first,
        "{cluster}: the id is derivable from history"
    );
}

/// Only a retry of a tick's own pending intent is the same record: the same id once settled,
/// or recorded by another lease epoch, is refused and the journaled action is left as it was.
pub async fn an_intent_settled_or_of_another_epoch_is_not_recorded_again<J>(journal: &J)
where
    J: LeaseStore + Journal,
{
    let cluster = "contract-intent-taken";
    let taken = |result: Result<ActionId, JournalError>, what: &str| match result {
        Err(JournalError::IntentTaken { .. }) => {}
        other => panic!("{cluster}: {what} gave {other:?}"),
    };
    let first = take(journal, cluster, "tick-a", t0()).await;
    let at = secs(10);
    let id = ok(
        journal.record_intent(&first, &rejoin("db2"), at).await,
        "intent",
    );
    ok(
        journal
            .record_outcome(&first, &id, Outcome::Succeeded, "ONLINE", secs(20))
            .await,
        "outcome",
    );
    taken(
        journal.record_intent(&first, &rejoin("db2"), at).await,
        "the same intent once settled",
    );
    let pending = ok(
        journal.record_intent(&first, &rejoin("db3"), at).await,
        "another intent",
    );
    let second = take(journal, cluster, "tick-b", secs(300)).await;
    taken(
        journal.record_intent(&second, &rejoin("db3"), at).await,
        "another epoch's pending intent",
    );
    let past = history(journal, cluster, secs(301)).await.actions;
    let outcomes: Vec<(String, Outcome)> = past
        .iter()
        .map(|a| (ActionId::of(a).to_string(), a.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            (id.to_string(), Outcome::Succeeded),
            (pending.to_string(), Outcome::Pending)
        ],
        "{cluster}"
    );
}

/// An outcome settles its action (twice is the same); an outcome without an intent is refused.
pub async fn an_outcome_settles_the_action_and_an_unknown_action_is_refused<J>(journal: &J)
where
    J: LeaseStore + Journal,
{
    let cluster = "contract-outcome";
    let lease = take(journal, cluster, "tick-a", t0()).await;
    let id = ok(
        journal.record_intent(&lease, &rejoin("db2"), secs(1)).await,
        "intent",
    );
    for _ in 0..2 {
        let settled = journal.record_outcome(
            &lease,
            &id,
            Outcome::Succeeded,
            "ONLINE after 12 s",
            secs(15),
        );
        ok(settled.await, "outcome");
    }
    let past = history(journal, cluster, secs(20)).await.actions;
    assert_eq!(past.len(), 1, "{cluster}");
    assert_eq!(past[0].outcome, Outcome::Succeeded, "{cluster}");
    let unknown = ActionId::new(secs(2), ActionKind::Reboot, "db3");
    match journal
        .record_outcome(&lease, &unknown, Outcome::Failed, "", secs(3))
        .await
    {
        Err(JournalError::UnknownAction { id, .. }) => assert_eq!(id, unknown, "{cluster}"),
        other => panic!("{cluster}: outcome of an unknown action gave {other:?}"),
    }
}

/// A new intent was not sent; marking it (twice is the same) says its call may have been made;
/// an unknown action is refused either way.
pub async fn an_intent_is_sent_only_once_marked<J>(journal: &J)
where
    J: LeaseStore + Journal,
{
    let cluster = "contract-sent";
    let lease = take(journal, cluster, "tick-a", t0()).await;
    let id = ok(
        journal.record_intent(&lease, &rejoin("db2"), secs(1)).await,
        "intent",
    );
    assert!(!ok(journal.sent(cluster, &id).await, "sent"), "{cluster}");
    for _ in 0..2 {
        ok(journal.mark_sent(&lease, &id).await, "mark sent");
    }
    assert!(ok(journal.sent(cluster, &id).await, "sent"), "{cluster}");
    let past = history(journal, cluster, secs(2)).await.actions;
    assert_eq!(
        past[0].outcome,
        Outcome::Pending,
        "{cluster}: still pending"
    );
    let unknown = ActionId::new(secs(2), ActionKind::Reboot, "db3");
    for result in [
        journal.mark_sent(&lease, &unknown).await,
        journal.sent(cluster, &unknown).await.map(drop),
    ] {
        match result {
            Err(JournalError::UnknownAction { id, .. }) => assert_eq!(id, unknown, "{cluster}"),
            other => panic!("{cluster}: an unknown action gave {other:?}"),
        }
    }
}

/// History covers the lookback window, and a pending action however old (it must be resumed).
pub async fn history_keeps_recent_and_pending_actions_and_drops_old_settled_ones<J>(journal: &J)
where
    J: LeaseStore + Journal,
{
    let cluster = "contract-history";
    let lease = take(journal, cluster, "tick-a", t0()).await;
    let old = ok(
        journal.record_intent(&lease, &rejoin("db1"), secs(0)).await,
        "intent",
    );
    ok(
        journal
            .record_outcome(&lease, &old, Outcome::Succeeded, "", secs(5))
            .await,
        "outcome",
    );
    ok(
        journal
            .record_intent(&lease, &rejoin("db2"), secs(10))
            .await,
        "intent",
    );
    ok(
        journal
            .record_intent(&lease, &rejoin("db3"), secs(4000))
            .await,
        "intent",
    );
    let past = history(journal, cluster, secs(4000)).await.actions;
    let seen: Vec<(&str, Outcome)> = past
        .iter()
        .map(|a| (a.instance.as_str(), a.outcome))
        .collect();
    assert_eq!(
        seen,
        vec![("db2", Outcome::Pending), ("db3", Outcome::Pending)],
        "{cluster}"
    );
}

/// Pauses (cluster-wide and per instance) and approvals hold until their expiry; resume ends a
/// pause; a new approval of the same action and instance replaces the old one.
pub async fn pauses_and_approvals_count_until_they_expire(journal: &impl Journal) {
    let cluster = "contract-pause";
    let pause = |until: i64| Pause {
        until: secs(until),
        reason: "maintenance".into(),
        by: "alice".into(),
    };
    ok(
        journal.pause(cluster, None, &pause(100)).await,
        "pause cluster",
    );
    ok(
        journal.pause(cluster, Some("db2"), &pause(200)).await,
        "pause db2",
    );
    let approval = |expires: i64| Approval {
        action: ActionKind::Bootstrap,
        instance: Some("db1".into()),
        // What a bootstrap may go ahead without survives the journal.
        gives_up: vec!["db3".into()],
        expires: secs(expires),
        by: "bob".into(),
        gtids: None,
    };
    ok(journal.approve(cluster, &approval(50)).await, "approve");
    ok(
        journal.approve(cluster, &approval(150)).await,
        "approve again",
    );

    let now = history(journal, cluster, secs(60)).await;
    assert_eq!(now.paused, Some(pause(100)), "{cluster}");
    assert_eq!(
        now.paused_instances.get("db2"),
        Some(&pause(200)),
        "{cluster}"
    );
    assert_eq!(now.approvals, vec![approval(150)], "{cluster}");

    let later = history(journal, cluster, secs(160)).await;
    assert_eq!(later.paused, None, "{cluster}: the cluster pause expired");
    assert!(
        later.approvals.is_empty(),
        "{cluster}: the approval expired"
    );
    assert!(later.paused_instances.contains_key("db2"), "{cluster}");

    ok(journal.resume(cluster, Some("db2")).await, "resume db2");
    ok(
        journal.resume(cluster, Some("db2")).await,
        "resume db2 again",
    );
    assert!(
        history(journal, cluster, secs(160))
            .await
            .paused_instances
            .is_empty(),
        "{cluster}"
    );
}

/// Condition labels, open incidents and undelivered alerts read back exactly as saved; saving
/// replaces.
pub async fn conditions_and_incidents_read_back_as_saved<J>(journal: &J)
where
    J: LeaseStore + Journal,
{
    let cluster = "contract-state";
    let lease = take(journal, cluster, "tick-a", t0()).await;
    assert_eq!(
        ok(journal.alerting(cluster).await, "alerting"),
        Alerting::default(),
        "{cluster}"
    );
    let conditions = BTreeMap::from([
        (
            "db1".to_owned(),
            Condition {
                state: "ONLINE".into(),
                since: secs(-600),
            },
        ),
        (
            "db2".to_owned(),
            Condition {
                state: "RECOVERING".into(),
                since: secs(-30),
            },
        ),
    ]);
    let tracked = Tracked {
        conditions,
        departures: BTreeMap::from([("db2".to_owned(), vec![secs(-300), secs(-30)])]),
        binlogs: BTreeMap::from([(
            "db1".to_owned(),
            vec![BinlogSample {
                at: secs(-60),
                purged: 1200,
            }],
        )]),
    };
    ok(journal.save_tracked(&lease, &tracked).await, "tracked");
    let read = history(journal, cluster, secs(1)).await;
    assert_eq!(Tracked::of(&read), tracked, "{cluster}");

    let incident = Incident {
        id: format!("{cluster}/member_offline/db2/20261130T000000Z"),
        kind: FindingKind::MemberOffline,
        instance: Some("db2".into()),
        lead: None,
        severity: Severity::Warning,
        message: "db2 is OFFLINE".into(),
        members: ["db2".to_owned()].into(),
        opened: t0(),
        updated: secs(60),
        refusals: Default::default(),
    };
    let message = AlertMessage {
        subject: "WARNING orders/db2: member offline".into(),
        body: "db2 is OFFLINE".into(),
        attributes: BTreeMap::from([("severity".into(), "warning".into())]),
    };
    let alerting = Alerting {
        incidents: vec![incident],
        undelivered: vec![message.clone()],
        parked: vec![Parked {
            message,
            error: "SNS.Publish: request rejected: Invalid parameter".into(),
            at: secs(30),
        }],
    };
    ok(journal.save_alerting(&lease, &alerting).await, "alerting");
    assert_eq!(
        ok(journal.alerting(cluster).await, "alerting"),
        alerting,
        "{cluster}"
    );
    ok(
        journal.save_alerting(&lease, &Alerting::default()).await,
        "nothing open",
    );
    assert_eq!(
        ok(journal.alerting(cluster).await, "alerting"),
        Alerting::default(),
        "{cluster}"
    );
}

/// What an instance was last read as, holding transactions of `n` sources, each with a hole:
/// a set whose text grows by some sixty bytes per source; and what a restore took away from it
/// (`lost`), so that it reads back too.
fn seen(n: u32) -> LastSeen {
    let group = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
    let sources: String = (0..n)
        .map(|i| format!(",{i:08x}-1111-4222-8333-444444444444:1-10:12-20"))
        .collect();
    let executed: GtidSet = format!("{group}:1-100{sources}")
        .parse()
        .unwrap_or_default();
    LastSeen {
        at: secs(60),
        server_uuid: "00000001-1111-4222-8333-444444444444".into(),
        received: executed.clone(),
        gtid_purged: format!("{group}:1-50").parse().unwrap_or_default(),
        gtid_executed: executed,
        executed_since: secs(-600),
        lost: format!("{group}:101-147").parse().unwrap_or_default(),
        address: crate::model::Address {
            view_host: "ip-10-0-1-11".into(),
            hostname: "ip-10-0-1-11".into(),
            port: Some(3306),
        },
    }
}

/// A memory of `instances`, each holding transactions of `sources` sources, with a stranger and
/// a split brain.
fn memory(instances: &[&str], sources: u32) -> Memory {
    Memory {
        last_seen: instances
            .iter()
            .map(|id| ((*id).to_owned(), seen(sources)))
            .collect(),
        strangers: vec![Stranger {
            member_id: "0000000a-1111-4222-8333-444444444444".into(),
            host: "ip-10-0-9-10".into(),
            port: 3306,
            first_seen: secs(-60),
            last_seen: secs(0),
        }],
        split_brain: Some(SplitBrain {
            first_seen: secs(-60),
            last_seen: secs(0),
            sides: vec![vec!["db1".into()], vec!["db2".into()]],
        }),
        active: Some(ActiveMember {
            instance: "db1".into(),
            since: secs(-30),
        }),
    }
}

/// The memory reads back as saved; saving again replaces it, a forgotten instance's record is
/// gone, and an empty list of strangers or no split brain reads back as such.
pub async fn the_memory_reads_back_as_saved_and_a_forgotten_record_is_gone<J>(journal: &J)
where
    J: LeaseStore + Journal,
{
    let cluster = "contract-memory";
    let lease = take(journal, cluster, "tick-a", t0()).await;
    let saved = memory(&["db1", "db2"], 3);
    ok(
        journal
            .save_memory(&lease, &saved, &Memory::default())
            .await,
        "memory",
    );
    let read = history(journal, cluster, secs(1)).await;
    assert_eq!(read.last_seen, saved.last_seen, "{cluster}");
    assert_eq!(read.strangers, saved.strangers, "{cluster}");
    assert_eq!(read.split_brain, saved.split_brain, "{cluster}");
    assert_eq!(read.active, saved.active, "{cluster}");

    let mut next = memory(&["db1"], 5);
    next.strangers.clear();
    next.split_brain = None;
    next.active = None;
    ok(
        journal.save_memory(&lease, &next, &saved).await,
        "memory again",
    );
    let read = history(journal, cluster, secs(2)).await;
    assert_eq!(
        read.last_seen, next.last_seen,
        "{cluster}: db2 is forgotten"
    );
    assert!(read.strangers.is_empty(), "{cluster}: {:?}", read.strangers);
    assert_eq!(read.split_brain, None, "{cluster}");
    assert_eq!(read.active, None, "{cluster}");
}

/// A DNS change batch's intent is journaled once (the same intent again is refused, so a retry
/// cannot send the batch twice), its outcome settles it, and an outcome without an intent is
/// refused; a tick that lost its lease journals nothing.
pub async fn a_dns_change_is_journaled_once_then_settled<J>(journal: &J)
where
    J: LeaseStore + Journal,
{
    let cluster = "contract-dns";
    let lease = take(journal, cluster, "tick-a", t0()).await;
    let record = Record {
        name: "orders-members.db.internal.".into(),
        set_identifier: Some("db1".into()),
        weight: Some(1),
        ttl: 5,
        value: "db1.example.rds.amazonaws.com".into(),
    };
    let mut change = DnsChange {
        at: secs(1),
        outcome: Outcome::Pending,
        reason: "create db1".into(),
        changes: vec![Change::Create(record)],
        detail: String::new(),
    };
    ok(journal.record_dns_change(&lease, &change).await, "intent");
    assert!(
        matches!(
            journal.record_dns_change(&lease, &change).await,
            Err(JournalError::IntentTaken { .. })
        ),
        "{cluster}: the same intent twice"
    );
    change.outcome = Outcome::Succeeded;
    ok(journal.record_dns_change(&lease, &change).await, "outcome");
    let stray = DnsChange {
        at: secs(2),
        ..change.clone()
    };
    assert!(
        matches!(
            journal.record_dns_change(&lease, &stray).await,
            Err(JournalError::UnknownAction { .. })
        ),
        "{cluster}: an outcome without an intent"
    );
    let read = ok(journal.dns_changes(cluster).await, "dns changes");
    assert_eq!(read, vec![change.clone()], "{cluster}");
    let later = take(journal, cluster, "tick-b", secs(400)).await;
    assert!(later.epoch > lease.epoch);
    let stale = DnsChange {
        at: secs(401),
        outcome: Outcome::Pending,
        ..change
    };
    assert!(
        matches!(
            journal.record_dns_change(&lease, &stale).await,
            Err(JournalError::LeaseLost { .. })
        ),
        "{cluster}: a lost lease"
    );
}

/// A record larger than one item may hold (GTID sets of half a megabyte each) reads back whole,
/// and so does a smaller one saved over it, whether or not the parts of the larger one were
/// deleted (a part beyond the record's own is ignored); one larger than the journal keeps is
/// refused before anything is written.
pub async fn a_record_larger_than_an_item_reads_back_whole<J>(journal: &J)
where
    J: LeaseStore + Journal,
{
    let cluster = "contract-large";
    let lease = take(journal, cluster, "tick-a", t0()).await;
    let none = Memory::default();
    let large = memory(&["db1", "db2"], 8_000);
    ok(
        journal.save_memory(&lease, &large, &none).await,
        "large memory",
    );
    assert_eq!(
        history(journal, cluster, secs(1)).await.last_seen,
        large.last_seen,
        "{cluster}"
    );
    let small = memory(&["db1", "db2"], 2);
    ok(
        journal.save_memory(&lease, &small, &large).await,
        "small memory",
    );
    assert_eq!(
        history(journal, cluster, secs(2)).await.last_seen,
        small.last_seen,
        "{cluster}"
    );
    // Saved over the large one as if it had never been read: its other parts stay, ignored.
    ok(
        journal.save_memory(&lease, &large, &small).await,
        "large again",
    );
    ok(
        journal.save_memory(&lease, &small, &none).await,
        "small again",
    );
    assert_eq!(
        history(journal, cluster, secs(3)).await.last_seen,
        small.last_seen,
        "{cluster}"
    );
    let huge = memory(&["db1"], 30_000);
    match journal.save_memory(&lease, &huge, &small).await {
        Err(JournalError::TooLarge { sk, .. }) => assert_eq!(sk, "last_seen#db1", "{cluster}"),
        other => panic!("{cluster}: a record over the limit gave {other:?}"),
    }
    assert_eq!(
        history(journal, cluster, secs(4)).await.last_seen,
        small.last_seen,
        "{cluster}: nothing of it was written"
    );
}
