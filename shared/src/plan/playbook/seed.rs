//! Which member a re-bootstrap starts from. It must hold every transaction any read member
//! holds (applied, or certified and queued); among those, the lowest version (a member older
//! than the group is refused, so starting from a newer one locks the older ones out; when every
//! read member runs one LTS series, 8.4 or 9.7, all its versions count as one, and in a group
//! mixing series they do not), then one that is OFFLINE over one in ERROR (whose
//! Group Replication must be stopped first), then an available one, then inventory order. A
//! member whose group name is unknown is never the seed, and when the first choice is refused
//! (a person stopped it) an equal one (same transactions, same version) is taken instead.

use crate::gtid::GtidSet;
use crate::model::MemberState;
use crate::plan::checks::{available, not_stopped_on_purpose};
use crate::plan::draft::{Ctx, Draft};
use crate::plan::guards::{Block, block};
use crate::plan::picture::Node;
use crate::plan::version::{JoinRule, Version, join_rule, one_lts_series};
use crate::plan::{FindingKind, Guard, Severity};

/// The chosen seed (`None` when no member could be read) and whether it may be used: a block
/// when no member holds every transaction, or when no equal candidate passes its own checks.
pub(crate) fn choose<'n, 'a>(
    ctx: &Ctx<'_>,
    draft: &mut Draft,
    nodes: &'n [Node<'a>],
) -> (Option<&'n Node<'a>>, Result<(), Block>) {
    let read: Vec<(&Node<'_>, GtidSet)> = nodes
        .iter()
        .filter(|n| n.report.is_some())
        .map(|n| (n, n.transactions().0))
        .collect();
    let holds_all = |set: &GtidSet| read.iter().all(|(_, other)| other.is_subset(set));
    let mut supersets: Vec<&Node<'_>> = read
        .iter()
        .filter(|(_, s)| holds_all(s))
        .map(|(n, _)| *n)
        .collect();
    // Versions count as one only when every read member runs the same LTS series: the group
    // bootstrapped from the seed will take them back one at a time, in any order.
    let one_series = one_lts_series(
        read.iter()
            .filter_map(|(n, _)| Version::parse(&n.report?.version)),
    );
    supersets.sort_by_key(|n| preference(n, one_series));
    let Some(first) = supersets.first() else {
        return no_superset(draft, &read);
    };
    // Every superset holds the same transactions; an equal candidate also has the same version.
    let first_version = version_key(first, one_series);
    let mut refusal = None;
    for candidate in supersets
        .iter()
        .filter(|n| version_key(n, one_series) == first_version)
    {
        match usable(ctx, candidate) {
            Ok(()) => return (Some(candidate), Ok(())),
            Err(block) => {
                refusal.get_or_insert(block);
            }
        }
    }
    (Some(first), refusal.map_or(Ok(()), Err))
}

/// The checks that rule one member out as the seed: a known group name, RDS done with it, no
/// deliberate stop by a person.
fn usable(ctx: &Ctx<'_>, node: &Node<'_>) -> Result<(), Block> {
    if node
        .report
        .and_then(|r| r.settings.group_name.as_deref())
        .is_none()
    {
        return Err(block(
            Guard::GroupName,
            format!(
                "{} holds every transaction but its group_replication_group_name is unknown \
                 (empty): set it in its DB parameter group to the group's name",
                node.id
            ),
        ));
    }
    available(node).and_then(|()| not_stopped_on_purpose(ctx, node))
}

/// Sort key: lowest version, OFFLINE before ERROR, available first, inventory order.
fn preference(node: &Node<'_>, one_series: bool) -> (Option<Version>, bool, bool, usize) {
    // `None` (unparsed) sorts first in Option's order; push it last instead.
    let version = version_key(node, one_series).or(Some(Version(u32::MAX, u32::MAX, u32::MAX)));
    (
        version,
        node.own_state() != Some(MemberState::Offline),
        !node.rds.is_some_and(|r| r.status.is_available()),
        node.index,
    )
}

/// The version a join compares: the series when every read member runs one LTS series.
fn version_key(node: &Node<'_>, one_series: bool) -> Option<Version> {
    let v = Version::parse(&node.report?.version)?;
    Some(match v.lts_series() {
        Some((major, minor)) if one_series => Version(major, minor, 0),
        _ => v,
    })
}

/// Members that will be refused when they rejoin a group bootstrapped from `seed` (older than
/// it, and not of one LTS series with it), for the bootstrap's reason.
pub(crate) fn locked_out(nodes: &[Node<'_>], seed: &Node<'_>) -> Vec<String> {
    let Some(lowest) = seed.report.and_then(|r| Version::parse(&r.version)) else {
        return Vec::new();
    };
    nodes
        .iter()
        .filter_map(|n| {
            let v = Version::parse(&n.report?.version)?;
            (join_rule(v, &[lowest]) == JoinRule::Refused).then(|| format!("{} ({v})", n.id))
        })
        .collect()
}

/// No member holds every other's transactions: the largest as the would-be seed, a finding with
/// the differences, and a block.
fn no_superset<'n, 'a>(
    draft: &mut Draft,
    read: &[(&'n Node<'a>, GtidSet)],
) -> (Option<&'n Node<'a>>, Result<(), Block>) {
    let Some((largest, _)) = read
        .iter()
        .max_by_key(|(n, s)| (s.count(), std::cmp::Reverse(n.index)))
    else {
        return (None, Ok(()));
    };
    let differences: Vec<String> = read
        .iter()
        .map(|(node, set)| {
            let others = read
                .iter()
                .filter(|(o, _)| o.index != node.index)
                .fold(GtidSet::new(), |acc, (_, s)| acc.union(s));
            (node, set.difference(&others))
        })
        .filter(|(_, only)| !only.is_empty())
        .map(|(node, only)| format!("{} alone has {only}", node.id))
        .collect();
    draft.note(
        FindingKind::NoGtidSuperset,
        Severity::Critical,
        None,
        format!(
            "No member holds every transaction: {}. Bootstrapping any of them would lose the \
             others' transactions. Decide which transactions to keep, reconcile them by hand, \
             then bootstrap the chosen member (CALL mysql.rds_group_replication_start(1)).",
            differences.join("; ")
        ),
    );
    (
        Some(*largest),
        Err(block(
            Guard::NoGtidSuperset,
            format!(
                "no member's GTID set contains all the others' ({}); reconcile them by hand",
                differences.join("; ")
            ),
        )),
    )
}
