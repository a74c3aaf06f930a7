//! The sync of a 9.7 joiner's local GTIDs across ticks cut off anywhere: each step's call runs
//! fully, partly or not at all, and its outcome is journaled, lost (left pending, then verified
//! by the next tick from what the target holds), failed or not attempted; time passes at random.
//! Whatever happens, no step plans a GTID its target already holds, so no range is ever created
//! twice, and every plan keeps every invariant.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::config;
use super::generate::local_gtids;
use super::invariants::check_all;
use crate::gtid::GtidSet;
use crate::model::Observed;
use crate::plan::{ActionKind, Approval, Guard, Outcome, PastAction, plan};
use crate::snapshot::Snapshot;

/// How a tick that took a sync step ended.
#[derive(Debug, Clone, Copy)]
enum Cut {
    /// The call ran and was verified.
    Verified,
    /// The call ran (0 none, 1 half, 2 all of it) and the tick died before the outcome.
    Lost(u8),
    /// The call ran (0 none, 1 half, 2 all) and the verification gave up.
    Unverified(u8),
    /// The call was never sent.
    NotSent,
}

fn cut() -> impl Strategy<Value = Cut> {
    prop_oneof![
        3 => Just(Cut::Verified),
        2 => (0u8..3).prop_map(Cut::Lost),
        1 => (0u8..3).prop_map(Cut::Unverified),
        1 => Just(Cut::NotSent),
    ]
}

/// The part of `gtids` a call cut off after `ran` thirds of its work created.
fn ran(gtids: &GtidSet, ran: u8) -> GtidSet {
    let mut part = GtidSet::new();
    for (source, begin, end) in gtids.intervals() {
        let last = match ran {
            0 => continue,
            1 => begin + (end - begin) / 2,
            _ => end,
        };
        part.insert_interval(source.clone(), begin, last);
    }
    part
}

fn holds(snapshot: &Snapshot, instance: &str) -> GtidSet {
    snapshot
        .instances
        .iter()
        .find(|i| i.id == instance)
        .and_then(|i| i.mysql.seen())
        .map(|r| r.gtid_executed.clone())
        .unwrap_or_default()
}

fn create(snapshot: &mut Snapshot, instance: &str, gtids: &GtidSet) {
    if let Some(Observed::Seen(report)) = snapshot
        .instances
        .iter_mut()
        .find(|i| i.id == instance)
        .map(|i| &mut i.mysql)
    {
        report.gtid_executed = report.gtid_executed.union(gtids);
    }
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn a_sync_cut_off_anywhere_never_creates_a_range_twice(
        mut snapshot in local_gtids(),
        cuts in prop::collection::vec(cut(), 16),
        waits in prop::collection::vec(0i64..1500, 16),
    ) {
        // Approved for the joiner (the last member), whatever the generator gave.
        let joiner = snapshot.instances.last().map(|i| i.id.clone()).unwrap_or_default();
        snapshot.history.approvals.push(Approval {
            action: ActionKind::SyncGtids,
            instance: Some(joiner),
            gives_up: Vec::new(),
            expires: snapshot.observed_at + chrono::Duration::days(1),
            by: "alice".into(),
            gtids: None,
        });
        let mut created: BTreeMap<String, GtidSet> = BTreeMap::new();
        for (cut, wait) in cuts.into_iter().zip(waits) {
            check_all(&snapshot)?;
            let p = plan(&snapshot);
            let Some(action) = p.action.clone() else { break };
            let Some(placeholders) = action.placeholders.clone() else { break };
            let target = action.instance.clone();
            let planned = placeholders.gtids();
            prop_assert!(
                !planned.intersects(&holds(&snapshot, &target)),
                "{} planned again on {}: {:#?}", planned, target, p
            );
            let made = match cut {
                Cut::Verified => planned.clone(),
                Cut::Lost(part) | Cut::Unverified(part) => ran(&planned, part),
                Cut::NotSent => GtidSet::new(),
            };
            let before = created.entry(target.clone()).or_default();
            prop_assert!(!made.intersects(before), "{} created twice on {}", made, target);
            *before = before.union(&made);
            create(&mut snapshot, &target, &made);
            let outcome = match cut {
                Cut::Verified => Outcome::Succeeded,
                Cut::Lost(_) => Outcome::Pending,
                Cut::Unverified(_) => Outcome::Failed,
                Cut::NotSent => Outcome::NotAttempted,
            };
            snapshot.history.actions.push(PastAction {
                kind: action.kind,
                instance: target.clone(),
                at: snapshot.observed_at,
                outcome,
                placeholders: Some(placeholders.clone()),
                maintenance: None,
            });
            snapshot.observed_at += chrono::Duration::seconds(wait);
            if outcome == Outcome::Pending {
                // The next tick first verifies what the lost step did, and plans nothing new
                // while it is pending. A step the facts or the safety rules refuse says so
                // (they are weighed first, e.g. its instance rebooting); of the operator and
                // rate guards, the pending action is the one that holds it back.
                let waiting = plan(&snapshot);
                prop_assert!(waiting.action.is_none(), "{:#?}", waiting);
                prop_assert!(
                    waiting
                        .refused
                        .iter()
                        .filter(|r| r.action == ActionKind::SyncGtids)
                        .all(|r| !matches!(
                            r.guard,
                            Guard::ObserveMode
                                | Guard::Disabled
                                | Guard::Paused
                                | Guard::ApprovalRequired
                                | Guard::Cooldown
                                | Guard::ClusterBudget
                                | Guard::RebootBudget
                                | Guard::RepeatedFailure
                        )),
                    "{:#?}", waiting
                );
                let verified = planned.is_subset(&holds(&snapshot, &target));
                if let Some(last) = snapshot.history.actions.last_mut() {
                    last.outcome = if verified { Outcome::Succeeded } else { Outcome::Failed };
                }
            }
        }
    }
}
