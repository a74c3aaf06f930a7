//! No group with quorum: complete outage (re-bootstrap from the GTID superset member), quorum
//! loss (fence the hung minority first, when the rest is proven out of any group), and split
//! brain (alert only). Bootstrapping is the one action that can create two groups, so every
//! member must be read or confirmed stopped, and no view anywhere may show a live member.

use crate::gtid::GtidSet;
use crate::plan::checks::{available, not_stopped_on_purpose};
use crate::plan::conditions::MINORITY;
use crate::plan::draft::{Candidate, Ctx, Draft};
use crate::plan::guards::{Block, block};
use crate::plan::picture::Node;
use crate::plan::{ActionKind, FindingKind, Guard, Severity};

use super::reboot;

/// Every member OFFLINE, ERROR, in offline mode or stopped, and no view shows a live member.
pub(crate) fn complete(ctx: &Ctx<'_>, draft: &mut Draft) {
    let picture = &ctx.picture;
    draft.note(
        FindingKind::CompleteOutage,
        Severity::Critical,
        None,
        format!(
            "No member reports a live group ({}). Writes fail everywhere until the group is \
             re-bootstrapped from the member that holds every transaction.",
            states(ctx)
        ),
    );
    reboot_offline_mode(ctx, draft);
    let (target, superset) = superset(draft, picture.nodes.iter().collect());
    let Some(target) = target else {
        // Not one member could be read: say which, and why nothing can be bootstrapped.
        if let (Err(block), Some(first)) = (
            confirmed_out(draft, picture.nodes.iter().collect()),
            picture.nodes.first(),
        ) {
            let reason = "complete outage, but no member could be read to find the one holding \
                          every transaction";
            draft.consider(
                ctx.snapshot,
                Candidate::new(ActionKind::Bootstrap, first.id, reason),
                Err(block),
            );
        }
        return;
    };
    // Health says no view shows a live member (else this is not a complete outage); what
    // remains to prove is that no member outside those views can be live.
    let data = confirmed_out(draft, picture.nodes.iter().collect())
        .and_then(|()| no_strangers(ctx, draft))
        .and(superset)
        .and_then(|()| group_names_agree(ctx))
        .and_then(|()| available(target))
        .and_then(|()| not_stopped_on_purpose(ctx.snapshot, target));
    note_stopped(ctx, draft);
    let executed = target.transactions().0;
    let reason = format!(
        "complete outage: no member is ONLINE or RECOVERING in any view, every member was read \
         or is stopped, and {} holds every transaction the others hold ({executed}); the others \
         rejoin one at a time after it bootstraps",
        target.id
    );
    draft.consider(
        ctx.snapshot,
        Candidate::new(ActionKind::Bootstrap, target.id, reason),
        data,
    );
}

/// Live members exist but no group has quorum: writes hang on them.
pub(crate) fn no_quorum(ctx: &Ctx<'_>, draft: &mut Draft) {
    let picture = &ctx.picture;
    let live: Vec<&Node<'_>> = picture
        .groups
        .iter()
        .flat_map(|g| &g.viewers)
        .map(|&i| &picture.nodes[i])
        .collect();
    let rest: Vec<&Node<'_>> = picture
        .nodes
        .iter()
        .filter(|n| !live.iter().any(|l| l.index == n.index))
        .collect();
    draft.note(
        FindingKind::NoQuorum,
        Severity::Critical,
        None,
        format!(
            "The group lost quorum: {} {} ONLINE but no view has a majority ({}). Writes on \
             {} hang. Bring the missing members back (start or reboot them through RDS); if \
             they cannot come back, the group must be re-bootstrapped.",
            names(&live),
            if live.len() == 1 { "is" } else { "are" },
            states(ctx),
            if live.len() == 1 { "it" } else { "them" }
        ),
    );
    reboot_offline_mode(ctx, draft);
    let (candidate, superset) = superset(draft, picture.nodes.iter().collect());
    let (Some(target), Some(candidate)) = (live.first(), candidate) else {
        return;
    };
    // Members rebooted at once come back and retry their join for a while: give the group the
    // partition deadline to re-form by itself before fencing.
    let deadline = ctx.snapshot.policy.partition_deadline_secs;
    if ctx.overdue(target, MINORITY, deadline).is_none() {
        draft.note(
            FindingKind::NoQuorum,
            Severity::Info,
            Some(target.id),
            format!(
                "{} has been without quorum for less than {deadline}s; fencing it waits for the \
                 deadline in case the group re-forms.",
                target.id
            ),
        );
        return;
    }
    let data = confirmed_out(draft, rest.clone())
        .and(superset)
        .and_then(|()| available(target));
    let reason = format!(
        "fence the hung partition: the group lost quorum and {} are out of any group; stopping \
         Group Replication on {} lets the group be re-bootstrapped from {}",
        names(&rest),
        target.id,
        candidate.id
    );
    draft.consider(
        ctx.snapshot,
        Candidate {
            gate: Some((ActionKind::Bootstrap, candidate.id)),
            ..Candidate::new(ActionKind::Expel, target.id, reason)
        },
        data,
    );
}

/// Two or more groups claim quorum: nothing automatic is safe.
pub(crate) fn split_brain(ctx: &Ctx<'_>, draft: &mut Draft) {
    let picture = &ctx.picture;
    let groups: Vec<String> = picture
        .groups
        .iter()
        .filter(|g| g.has_quorum)
        .map(|g| {
            let members: Vec<&Node<'_>> = g.viewers.iter().map(|&i| &picture.nodes[i]).collect();
            format!("{{{}}}", names(&members))
        })
        .collect();
    draft.note(
        FindingKind::SplitBrain,
        Severity::Critical,
        None,
        format!(
            "Split brain: {} groups are live at once: {}. Their data diverges with every write. \
             Stop writes to all but one group, stop Group Replication on the members of the \
             others (CALL mysql.rds_group_replication_stop()), and reconcile their transactions \
             before they rejoin. grkeeper takes no action.",
            groups.len(),
            groups.join(" and ")
        ),
    );
}

/// Members in offline mode cannot be read; a reboot brings them back readable (OFFLINE).
fn reboot_offline_mode(ctx: &Ctx<'_>, draft: &mut Draft) {
    for node in ctx.picture.nodes.iter().filter(|n| n.is_offline_mode()) {
        let reason = format!(
            "{} is in offline mode while no group has quorum: its transactions cannot be read \
             until a reboot brings it back",
            node.id
        );
        reboot::propose(ctx, draft, node, reason);
    }
}

/// Every node in `nodes` must be proven out of any group: read and not live, or stopped.
fn confirmed_out(draft: &mut Draft, nodes: Vec<&Node<'_>>) -> Result<(), Block> {
    let unknown: Vec<&Node<'_>> = nodes
        .into_iter()
        .filter(|n| match n.own_state() {
            Some(state) => state.is_live(),
            None => !n.is_down(),
        })
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    for node in &unknown {
        let why = node.probe_error.map_or_else(
            || "it reports a live state".to_string(),
            ToString::to_string,
        );
        draft.note(
            FindingKind::UnobservedMember,
            Severity::Critical,
            Some(node.id),
            format!(
                "{} could not be read ({why}) and RDS reports it {}, so it may still be in a live \
                 group; grkeeper will not re-bootstrap until it is read or confirmed down.",
                node.id,
                node.rds_status()
            ),
        );
    }
    Err(block(
        Guard::UnobservedMember,
        format!(
            "{} could not be proven out of any group (not read, not down)",
            names(&unknown)
        ),
    ))
}

/// The member whose `gtid_executed` contains every other read member's, preferring an available
/// one, then inventory order. Without one: the member with the most transactions as the
/// target, a `NoGtidSuperset` finding with the differences, and a block.
fn superset<'n, 'a>(
    draft: &mut Draft,
    nodes: Vec<&'n Node<'a>>,
) -> (Option<&'n Node<'a>>, Result<(), Block>) {
    let read: Vec<(&Node<'_>, GtidSet)> = nodes
        .into_iter()
        .filter(|n| n.report.is_some())
        .map(|n| (n, n.transactions().0))
        .collect();
    let holds_all = |set: &GtidSet| read.iter().all(|(_, other)| other.is_subset(set));
    let mut supersets: Vec<&Node<'_>> = read
        .iter()
        .filter(|(_, s)| holds_all(s))
        .map(|(n, _)| *n)
        .collect();
    supersets.sort_by_key(|n| (!n.rds.is_some_and(|r| r.status.is_available()), n.index));
    if let Some(best) = supersets.first() {
        return (Some(best), Ok(()));
    }
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
        Some(largest),
        Err(block(
            Guard::NoGtidSuperset,
            format!(
                "no member's GTID set contains all the others' ({})",
                differences.join("; ")
            ),
        )),
    )
}

/// Members outside the inventory that the read members name (in their seeds, or in a view):
/// they may be live in a group grkeeper cannot see, so no bootstrap until they are accounted for.
fn no_strangers(ctx: &Ctx<'_>, draft: &mut Draft) -> Result<(), Block> {
    let picture = &ctx.picture;
    let known: Vec<String> = picture
        .nodes
        .iter()
        .filter_map(|n| {
            let rds = n.rds?;
            let endpoint = rds.endpoint.as_deref()?;
            Some(format!("{endpoint}:{}", rds.port.unwrap_or(3306)).to_ascii_lowercase())
        })
        .collect();
    let mut strangers: Vec<String> = Vec::new();
    for report in picture.nodes.iter().filter_map(|n| n.report) {
        for seed in &report.settings.group_seeds {
            let seed = seed.trim().to_ascii_lowercase();
            if !known.contains(&seed) && !strangers.contains(&seed) {
                strangers.push(seed);
            }
        }
        for row in &report.view {
            let uuid = row.member_id.to_ascii_lowercase();
            if picture.node_of(&uuid).is_none() && !strangers.contains(&uuid) {
                strangers.push(uuid);
            }
        }
    }
    if strangers.is_empty() {
        return Ok(());
    }
    let named = strangers.join(", ");
    draft.note(
        FindingKind::UnknownMember,
        Severity::Critical,
        None,
        format!(
            "The members name {named}, which no inventory instance is: it may be a member in a \
             live group grkeeper cannot see. Tag its instance into the cluster, or remove it \
             from group_replication_group_seeds."
        ),
    );
    Err(block(
        Guard::UnobservedMember,
        format!("{named} is named by the members but not in the inventory; it may be live"),
    ))
}

fn group_names_agree(ctx: &Ctx<'_>) -> Result<(), Block> {
    let mut names: Vec<String> = ctx
        .picture
        .nodes
        .iter()
        .filter_map(|n| n.report?.settings.group_name.as_deref())
        .map(str::to_ascii_lowercase)
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.len() > 1 {
        Err(block(
            Guard::GroupName,
            format!(
                "members are configured for different groups: {}",
                names.join(", ")
            ),
        ))
    } else {
        Ok(())
    }
}

fn note_stopped(ctx: &Ctx<'_>, draft: &mut Draft) {
    for node in ctx
        .picture
        .nodes
        .iter()
        .filter(|n| n.report.is_none() && n.is_stopped())
    {
        draft.note(
            FindingKind::UnobservedMember,
            Severity::Info,
            Some(node.id),
            format!(
                "{} is {} (RDS), so its transactions are unknown; if it holds any the others lack, \
                 it will be refused when it starts and rejoins.",
                node.id,
                node.rds_status()
            ),
        );
    }
}

/// `db1 OFFLINE, db2 ERROR, db3 stopped` for messages.
fn states(ctx: &Ctx<'_>) -> String {
    ctx.picture
        .nodes
        .iter()
        .map(|n| {
            let state = match (n.own_state(), n.probe_error) {
                (Some(s), _) => s.to_string(),
                (None, _) if n.is_stopped() => "stopped".to_string(),
                (None, Some(e)) if e.is_offline_mode() => "offline mode".to_string(),
                (None, _) => "unreadable".to_string(),
            };
            format!("{} {state}", n.id)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `db1, db2` in inventory order.
fn names(nodes: &[&Node<'_>]) -> String {
    nodes.iter().map(|n| n.id).collect::<Vec<_>>().join(", ")
}
