//! A 9.7 joiner's local GTIDs (`docs/group-replication.md`, "MySQL 9.7: initialization GTIDs").
//! While RDS creates a 9.7 DB instance it may write transactions under the instance's own
//! `server_uuid`, so a new member and the group's members each hold GTIDs the other side lacks.
//! AWS's procedure compares the joiner with every ONLINE member in both directions and creates
//! the missing ones as empty placeholders: the joiner's own GTIDs on each member lacking them,
//! each member's own GTIDs on the joiner.
//!
//! This module finds those gaps for one joiner, from the observation alone: what one step
//! created is simply no longer missing in the next observation, so no placeholder is ever planned
//! twice. Only what the procedure can create counts: untagged GTIDs under their owner's own
//! `server_uuid`, never under a group name, numbered within its `INT UNSIGNED` arguments. The
//! GTIDs alone cannot tell RDS's initialization writes from errant local writes, so nothing here
//! decides to create anything: a person approves it (`playbook::sync`).

use std::collections::BTreeSet;

use crate::gtid::{GtidSet, Source};
use crate::model::MemberState;
use crate::snapshot::{Placeholders, advance_gtid_call};

use super::draft::Ctx;
use super::picture::Node;
use super::version::Version;

/// The largest transaction number `advance_gtid` takes (its arguments are `INT UNSIGNED`).
pub(crate) const MAX_PLACEHOLDER_GNO: u64 = u32::MAX as u64;

/// At most this many placeholders per call: the procedure commits one empty transaction per
/// number, and a call must end well within the query timeout.
pub(crate) const PLACEHOLDERS_PER_CALL: u64 = 10_000;

/// Placeholders one instance lacks: `gtids`, all under the `server_uuid` of `owner`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Gap<'a> {
    /// Where they must be created.
    pub target: &'a str,
    /// Whose own GTIDs they are.
    pub owner: &'a str,
    pub gtids: GtidSet,
}

/// Every gap between a 9.7 joiner and the group's ONLINE members, the joiner's own GTIDs on
/// the members first, in inventory order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocalGtids<'a> {
    pub joiner: &'a str,
    pub gaps: Vec<Gap<'a>>,
}

impl<'a> LocalGtids<'a> {
    /// The gaps of `joiner`, when it runs 9.7 (`None` for other versions: their GTIDs under
    /// their own `server_uuid` are plain errant GTIDs); empty when none.
    pub fn of(ctx: &Ctx<'a>, joiner: &Node<'a>) -> Option<LocalGtids<'a>> {
        let report = joiner.report?;
        let version = Version::parse(&report.version)?;
        if !version.writes_initialization_gtids() {
            return None;
        }
        let names = group_names(ctx);
        let (held, _) = joiner.transactions();
        let own = syncable(&held, &report.server_uuid, &names);
        let mut gaps = Vec::new();
        let donors: Vec<&Node<'a>> = ctx.picture.quorum_donors().collect();
        for donor in &donors {
            let gtids = own.difference(&donor.transactions().0);
            if !gtids.is_empty() {
                gaps.push(Gap {
                    target: donor.id,
                    owner: joiner.id,
                    gtids,
                });
            }
        }
        for donor in &donors {
            let Some(theirs) = donor.report else { continue };
            if theirs.server_uuid.eq_ignore_ascii_case(&report.server_uuid) {
                continue;
            }
            let gtids =
                syncable(&donor.transactions().0, &theirs.server_uuid, &names).difference(&held);
            if !gtids.is_empty() {
                gaps.push(Gap {
                    target: joiner.id,
                    owner: donor.id,
                    gtids,
                });
            }
        }
        Some(LocalGtids {
            joiner: joiner.id,
            gaps,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.gaps.is_empty()
    }

    /// The joiner's own GTIDs some member lacks: what the group will hold once they are created.
    pub fn joiners_own(&self) -> GtidSet {
        self.union(|gap| gap.target != self.joiner)
    }

    /// The members' own GTIDs the joiner lacks: what it will hold once they are created.
    pub fn members_own(&self) -> GtidSet {
        self.union(|gap| gap.target == self.joiner)
    }

    /// Every GTID some placeholder is planned for, either direction.
    pub fn all(&self) -> GtidSet {
        self.union(|_| true)
    }

    fn union(&self, keep: impl Fn(&Gap<'_>) -> bool) -> GtidSet {
        self.gaps
            .iter()
            .filter(|gap| keep(gap))
            .fold(GtidSet::new(), |all, gap| all.union(&gap.gtids))
    }

    /// The first step: the first range of the first gap, at most [`PLACEHOLDERS_PER_CALL`]
    /// long, with the instance to create it on.
    pub fn first_step(&self) -> Option<(&'a str, Placeholders)> {
        let gap = self.gaps.first()?;
        let (source, begin, end) = gap.gtids.intervals().next()?;
        let end = end.min(begin.saturating_add(PLACEHOLDERS_PER_CALL - 1));
        let placeholders = Placeholders {
            joiner: self.joiner.to_string(),
            uuid: source.uuid.clone(),
            begin,
            end,
        };
        Some((gap.target, placeholders))
    }

    /// The calls a person would make, one per range: `on orders-1: CALL ...`.
    pub fn commands(&self) -> Vec<String> {
        self.gaps
            .iter()
            .flat_map(|gap| {
                gap.gtids.intervals().map(move |(source, begin, end)| {
                    let whose = if gap.target == self.joiner {
                        format!("{}'s own", gap.owner)
                    } else {
                        "the joiner's".to_string()
                    };
                    format!(
                        "on {} ({whose}): {};",
                        gap.target,
                        advance_gtid_call(begin, end, &source.uuid)
                    )
                })
            })
            .collect()
    }

    /// Instances ONLINE in the quorum group's views that grkeeper could not read (or does not
    /// know): their GTIDs cannot be compared, so no sync may go ahead.
    pub fn unread_members(ctx: &Ctx<'_>) -> Vec<String> {
        let picture = &ctx.picture;
        let unread: BTreeSet<String> = picture
            .quorum_views()
            .flatten()
            .filter(|row| row.state == MemberState::Online)
            .filter(|row| {
                picture
                    .node_of(&row.member_id)
                    .is_none_or(|node| node.report.is_none())
            })
            .map(|row| picture.who(row))
            .collect();
        unread.into_iter().collect()
    }
}

/// The group names the read members are configured with, lowercase: GTIDs under them are the
/// group's own transactions, never placeholders.
fn group_names(ctx: &Ctx<'_>) -> BTreeSet<String> {
    ctx.picture
        .nodes
        .iter()
        .filter_map(|n| n.report?.settings.group_name.as_deref())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// The part of `held` the procedure can create for `uuid`: untagged, numbered within its
/// arguments, and nothing when `uuid` is a group name.
fn syncable(held: &GtidSet, uuid: &str, group_names: &BTreeSet<String>) -> GtidSet {
    let uuid = uuid.to_ascii_lowercase();
    if group_names.contains(&uuid) {
        return GtidSet::new();
    }
    let source = Source {
        uuid,
        tag: String::new(),
    };
    let mut range = GtidSet::new();
    range.insert_interval(source.clone(), 1, MAX_PLACEHOLDER_GNO);
    held.of_source(&source).intersection(&range)
}
