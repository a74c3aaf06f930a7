//! Twins as a class (chaos seed 4502): a complete outage where two inventory instances share a
//! `server_uuid` (a snapshot of one restored into the other), each read now or remembered by
//! the journal, holding transactions no third member holds, or fewer than a third member (the
//! restore took away what the copy held, and no reading may have seen it); the other members
//! read or stopped; with or without a person's approval of the bootstrap, which may give members
//! up. Every invariant holds (`invariants::check_all`), of this class in particular: no bootstrap
//! beside twins without an approval covering its seed, a twin never the seed, and an approved
//! bootstrap from a member holding every transaction of every instance it does not give up, the
//! twins' included, read now or remembered. And the planner reports both twins.

use proptest::prelude::*;

use super::config;
use super::invariants::check_all;
use crate::fixtures::{ClusterBuilder, GROUP};
use crate::model::ProbeError;
use crate::plan::{FindingKind, plan};
use crate::snapshot::Snapshot;

/// The observation's time in the builder, and when the journal last read a member.
const NOW: &str = "2026-11-30T12:00:00Z";
const LAST_READ: &str = "2026-11-30T11:50:00Z";

/// How one twin is known.
#[derive(Debug, Clone, Copy)]
enum Twin {
    /// Read now (GR OFFLINE), maybe also remembered holding the same.
    Read { remembered: bool },
    /// Stopped through RDS: known only by the journal's last reading.
    Stopped,
}

/// A person's approval of the bootstrap.
#[derive(Debug, Clone)]
struct Approved {
    /// On this member only (1-based, wrapped to the cluster), or on any.
    instance: Option<usize>,
    /// Members it gives up (1-based, wrapped).
    gives_up: Vec<usize>,
    /// Expired at the observation (no approval after all).
    expired: bool,
}

/// One case of the class.
#[derive(Debug, Clone)]
struct Case {
    snapshot: Snapshot,
    /// The twins' instance ids: the copy, then its original.
    twins: [String; 2],
}

fn twin() -> impl Strategy<Value = Twin> {
    prop_oneof![
        4 => any::<bool>().prop_map(|remembered| Twin::Read { remembered }),
        1 => Just(Twin::Stopped),
    ]
}

fn approved() -> impl Strategy<Value = Approved> {
    (
        prop::option::of(1usize..=9),
        prop::collection::vec(1usize..=9, 0..3),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(instance, gives_up, expired)| Approved {
            instance,
            gives_up,
            expired,
        })
}

/// `group:1-k`.
fn upto(k: u64) -> String {
    format!("{GROUP}:1-{k}")
}

fn twins() -> impl Strategy<Value = Case> {
    (
        // Members, and each third member's last transaction (or stopped through RDS).
        prop::collection::vec(prop::option::weighted(0.85, 96u64..=100), 3..=9),
        (1usize..=9, 0usize..8),
        // What the original holds: beyond every third member, or not.
        prop_oneof![1 => 101u64..=110, 1 => 90u64..=100],
        // What the copy holds: the original's data when it was restored, at most as much.
        0u64..=8,
        (twin(), twin()),
        prop::option::weighted(0.6, approved()),
    )
        .prop_map(
            |(others, (copy, shift), original_holds, behind, (copy_is, original_is), approval)| {
                let n = others.len();
                let copy = (copy - 1) % n + 1;
                let original = (copy + shift % (n - 1)) % n + 1;
                let id = |i: usize| format!("orders-{}", (i - 1) % n + 1);
                let refused = || ProbeError::Refused {
                    message: "Connection refused (os error 111)".into(),
                };
                let mut b = ClusterBuilder::healthy(n)
                    .complete_outage()
                    .same_uuid_as(&id(copy), original);
                for (i, holds) in others.iter().enumerate() {
                    let m = id(i + 1);
                    let (holds, known) = if i + 1 == original {
                        (Some(original_holds), original_is)
                    } else if i + 1 == copy {
                        (Some(original_holds.saturating_sub(behind).max(1)), copy_is)
                    } else {
                        match holds {
                            Some(k) => (Some(*k), Twin::Read { remembered: false }),
                            None => (None, Twin::Stopped),
                        }
                    };
                    if let Some(k) = holds {
                        b = b.executed(&m, &upto(k));
                    }
                    b = match known {
                        Twin::Read { remembered: false } => b,
                        Twin::Read { remembered: true } => {
                            b.last_seen(&m, LAST_READ, &upto(holds.unwrap_or(100)))
                        }
                        Twin::Stopped => {
                            let b = match holds {
                                Some(k) => b.last_seen(&m, LAST_READ, &upto(k)),
                                None => b,
                            };
                            b.rds_status(&m, "stopped").unreadable(&m, refused(), false)
                        }
                    };
                }
                if let Some(approval) = approval {
                    let expires = if approval.expired {
                        NOW
                    } else {
                        "2026-11-30T13:00:00Z"
                    };
                    let instance = approval.instance.map(id);
                    let gives_up: Vec<String> = approval.gives_up.into_iter().map(id).collect();
                    let gives_up: Vec<&str> = gives_up.iter().map(String::as_str).collect();
                    b = b.approved_bootstrap(instance.as_deref(), &gives_up, expires, "alice");
                }
                Case {
                    snapshot: b.build(),
                    twins: [id(copy), id(original)],
                }
            },
        )
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn no_bootstrap_beside_twins_unless_approved_and_holding_every_twins_transaction(
        case in twins()
    ) {
        let snapshot = &case.snapshot;
        check_all(snapshot)?;
        let p = plan(snapshot);
        // The planner sees the twins for what they are, whatever it does.
        for twin in &case.twins {
            prop_assert!(
                p.findings.iter().any(|f| f.kind == FindingKind::DuplicateServerUuid
                    && f.instance.as_deref() == Some(twin.as_str())),
                "{} not reported: {:#?}",
                twin,
                p
            );
        }
    }
}
