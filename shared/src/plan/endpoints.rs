//! The DNS names applications connect through (`docs/endpoints.md`): which members the
//! "members" name should resolve to and which one member the "active" name should, decided from
//! the observation and the active member the journal remembers.
//!
//! The members name lists the members `ONLINE` in the group that holds quorum (as they report
//! themselves and as that group lists them), writable and caught up (all of the first two when
//! none is caught up). The active name points at
//! one member and moves only when that member leaves the quorum group or stops being writable
//! (never back when it returns), to a member of the members name: first one whose condition has
//! not changed for the hold-down (one that just came back may leave again), then the smallest
//! applier queue. Without exactly one group holding quorum (split brain, quorum lost,
//! complete outage) neither name changes: no side of a split is grkeeper's to pick, and no member
//! can commit without quorum.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::{MemberReport, MemberState};

use super::conditions::own_applier_queue;
use super::draft::{Ctx, Draft};
use super::guards::window;
use super::picture::Node;
use super::{ActiveMember, ClusterStatus, EndpointPolicy, FindingKind, Severity};

/// What the names should resolve to after this observation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Records {
    /// No group holds quorum alone: both names stay as they are.
    Frozen {
        /// Why, for the journal and the incident.
        reason: String,
    },
    /// The records to publish.
    Desired {
        /// The members name: instance id -> the endpoint address its record points at.
        members: BTreeMap<String, String>,
        /// The active name; `None` leaves it as it is (no member can take it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        active: Option<Target>,
    },
}

/// One member a name points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Target {
    /// The RDS instance.
    pub instance: String,
    /// Its endpoint address (`Endpoint.Address`).
    pub address: String,
}

/// The decision for the names and what to remember of the active member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The records.
    pub records: Records,
    /// The active member to remember: the one the active name points at and since when.
    pub active: Option<ActiveMember>,
}

/// The member can take traffic through a name: read now, with an endpoint address, `ONLINE`
/// with a majority in its own view and in every view of the quorum group that holds quorum and
/// lists it, and writable. The active member keeps its name while this holds, lagging or not.
fn serves(ctx: &Ctx<'_>, node: &Node<'_>) -> bool {
    node.report.is_some_and(|r| r.has_quorum() && writable(r))
        && node.rds.and_then(|r| r.endpoint.as_deref()).is_some()
        && online_in_quorum_views(ctx, node)
}

/// Its applier queue is within the policy's limit.
fn caught_up(node: &Node<'_>, policy: &EndpointPolicy) -> bool {
    node.report
        .is_some_and(|r| own_applier_queue(r) <= policy.max_queue)
}

/// Decides the records; `None` when the policy keeps no names. Notes a critical finding when
/// the names are frozen and a warning when the active member is lost but the name cannot move.
pub(crate) fn decide(ctx: &Ctx<'_>, draft: &mut Draft) -> Option<Decision> {
    let policy = ctx.snapshot.policy.endpoints.as_ref()?;
    let remembered = ctx.snapshot.history.active.clone();
    let status = ctx.picture.health.status;
    let frozen = match status {
        ClusterStatus::SplitBrain => Some("two groups are live (split brain)"),
        ClusterStatus::NoQuorum => Some("no group holds quorum"),
        ClusterStatus::CompleteOutage => Some("no member is live in any group"),
        ClusterStatus::Empty => Some("the inventory has no instance"),
        _ => None,
    };
    if let Some(why) = frozen {
        let reason = format!(
            "The members and active DNS names are frozen: {why}, so grkeeper leaves both records \
             as they are rather than pick a side or point clients at members that cannot commit. \
             They change again once one group holds quorum."
        );
        draft.note(
            FindingKind::EndpointsFrozen,
            Severity::Critical,
            None,
            reason.clone(),
        );
        return Some(Decision {
            records: Records::Frozen { reason },
            active: remembered,
        });
    }
    let address = |node: &Node<'_>| {
        node.rds
            .and_then(|r| r.endpoint.clone())
            .unwrap_or_default()
    };
    let target = |node: &Node<'_>| Target {
        instance: node.id.to_owned(),
        address: address(node),
    };
    let serving: Vec<&Node<'_>> = ctx
        .picture
        .nodes
        .iter()
        .filter(|n| serves(ctx, n))
        .collect();
    // When every serving member lags, none is better than another: the name keeps them all
    // rather than resolve to nothing while the group can commit.
    let eligible: Vec<&Node<'_>> = match serving.iter().any(|n| caught_up(n, policy)) {
        true => serving
            .into_iter()
            .filter(|n| caught_up(n, policy))
            .collect(),
        false => serving,
    };
    let members: BTreeMap<String, String> = eligible
        .iter()
        .map(|n| (n.id.to_owned(), address(n)))
        .collect();
    let now = ctx.snapshot.observed_at;
    let current = remembered
        .as_ref()
        .and_then(|a| ctx.picture.node(&a.instance).map(|n| (a, n)));
    // The active member keeps the name while it is ONLINE in the quorum group and writable,
    // lagging or not: moving writers costs more than a queue does.
    if let Some((active, node)) = current
        && serves(ctx, node)
    {
        return Some(Decision {
            records: Records::Desired {
                members,
                active: Some(target(node)),
            },
            active: Some(active.clone()),
        });
    }
    // A member whose label has not changed for the hold-down is preferred: one that just came
    // back may leave again. Then the smallest queue, then inventory order.
    let settled = |node: &Node<'_>| {
        ctx.conditions
            .get(node.id)
            .is_some_and(|c| now - c.since >= window(policy.hold_down_secs))
    };
    let best = eligible.iter().min_by_key(|n| {
        (
            !settled(n),
            n.report.map_or(u64::MAX, own_applier_queue),
            n.index,
        )
    });
    match best {
        Some(node) => Some(Decision {
            records: Records::Desired {
                members,
                active: Some(target(node)),
            },
            active: Some(ActiveMember {
                instance: node.id.to_owned(),
                since: now,
            }),
        }),
        None => {
            if let Some(active) = &remembered {
                draft.note(
                    FindingKind::ActiveHeld,
                    Severity::Warning,
                    Some(&active.instance),
                    format!(
                        "The active DNS name points at {}, which is no longer ONLINE and writable \
                         in the group that holds quorum, and no member is ONLINE, writable and \
                         caught up to take it: it stays until one is.",
                        active.instance
                    ),
                );
            }
            Some(Decision {
                records: Records::Desired {
                    members,
                    active: None,
                },
                active: remembered,
            })
        }
    }
}

fn writable(report: &MemberReport) -> bool {
    !report.super_read_only && !report.read_only && !report.offline_mode
}

/// Every view of the quorum group that holds quorum and lists the member lists it `ONLINE`, and
/// one does: views disagree for a moment, and the safe reading takes the worst.
fn online_in_quorum_views(ctx: &Ctx<'_>, node: &Node<'_>) -> bool {
    let Some(uuid) = node.identity() else {
        return false;
    };
    let mut states = ctx
        .picture
        .quorum_views()
        .flat_map(|view| view.iter())
        .filter(|row| row.member_id.eq_ignore_ascii_case(&uuid))
        .map(|row| row.state)
        .peekable();
    states.peek().is_some() && states.all(|s| s == MemberState::Online)
}
