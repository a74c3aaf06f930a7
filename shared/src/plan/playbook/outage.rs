//! No group with quorum: complete outage (re-bootstrap from the member holding every
//! transaction), quorum loss (fence the hung minority first, when the rest is proven out of any
//! group), and split brain (alert only). Bootstrapping is the one action that can lose
//! transactions or create two groups: every member must be read or confirmed down, no view may
//! show a live member, and `rebootstrap` must allow it.

use std::collections::BTreeMap;

use crate::model::{MemberState, ViewMember};
use crate::plan::checks::available;
use crate::plan::conditions::MINORITY;
use crate::plan::draft::{Candidate, Ctx, Draft};
use crate::plan::guards::{Block, block};
use crate::plan::picture::{Node, names};
use crate::plan::{ActionKind, FindingKind, Guard, Severity};

use super::{reboot, seed};

/// Every member OFFLINE, ERROR, in offline mode or down, and no live view of its own.
pub(crate) fn complete(ctx: &Ctx<'_>, draft: &mut Draft) {
    let picture = &ctx.picture;
    draft.note(
        FindingKind::CompleteOutage,
        Severity::Critical,
        None,
        format!(
            "No member reports a live group ({}). Writes fail everywhere until the group is \
             re-bootstrapped from the member that holds every transaction; grkeeper does it when \
             every guard allows, otherwise the refusal below says what is missing.",
            states(ctx)
        ),
    );
    reboot_offline_mode(ctx, draft);
    let (target, chosen) = seed::choose(ctx, draft, &picture.nodes);
    let Some(target) = target else {
        // Not one member could be read: say which, and why nothing can be bootstrapped.
        if let (Err(block), Some(first)) = (
            confirmed_out(draft, picture.nodes.iter().collect()),
            picture.nodes.first(),
        ) {
            let reason = "complete outage, but no member could be read to find the one holding \
                          every transaction";
            draft.consider(
                ctx,
                Candidate::new(ActionKind::Bootstrap, first.id, reason),
                Err(block),
            );
        }
        return;
    };
    let proven_out = confirmed_out(draft, picture.nodes.iter().collect());
    let stale = clear_stale_views(ctx, draft, target.id, &proven_out);
    let data = proven_out
        .and(chosen)
        .and(stale)
        .and_then(|()| group_names_agree(ctx));
    if let Some(state) = target.own_state().filter(|s| *s != MemberState::Offline) {
        // START GROUP_REPLICATION fails on a member whose GR still runs (ERROR): stop it first.
        let reason = format!(
            "complete outage: {} holds every transaction but its Group Replication is {state}, \
             not OFFLINE; stopping it (CALL mysql.rds_group_replication_stop()) lets it \
             bootstrap the group on the next step",
            target.id
        );
        draft.consider(
            ctx,
            Candidate::new(ActionKind::Expel, target.id, reason).toward_bootstrap(target.id),
            data,
        );
        return;
    }
    let executed = target.transactions().0;
    let lower = seed::locked_out(&picture.nodes, target);
    let lower = if lower.is_empty() {
        String::new()
    } else {
        format!(
            "; {} run an older version and will be refused until upgraded",
            lower.join(", ")
        )
    };
    let reason = format!(
        "complete outage: no member is ONLINE or RECOVERING in any view, every member's \
         transactions were read (or given up by an approval), and {} holds every transaction \
         the others hold ({executed}); the others rejoin one at a time after it bootstraps{lower}",
        target.id
    );
    draft.consider(
        ctx,
        Candidate::new(ActionKind::Bootstrap, target.id, reason),
        data,
    );
}

/// Views of members in ERROR that still list members live which, read now, report themselves
/// out of any group: such a view is stale, and no bootstrap is taken while any view shows a live
/// member. Stopping Group Replication on the view's owner clears it.
fn clear_stale_views(
    ctx: &Ctx<'_>,
    draft: &mut Draft,
    seed: &str,
    proven_out: &Result<(), Block>,
) -> Result<(), Block> {
    let mut by_holder: BTreeMap<usize, (&Node<'_>, Vec<&ViewMember>)> = BTreeMap::new();
    for (holder, row) in ctx.picture.stale_rows() {
        by_holder
            .entry(holder.index)
            .or_insert((holder, Vec::new()))
            .1
            .push(row);
    }
    let mut stale = Vec::new();
    for (holder, rows) in by_holder.into_values() {
        let listed: Vec<String> = rows
            .iter()
            .map(|row| {
                let own = ctx
                    .picture
                    .node_of(&row.member_id)
                    .and_then(Node::own_state)
                    .map_or_else(String::new, |s| format!(" (it reports itself {s})"));
                format!("{} {}{own}", ctx.picture.who(row), row.state)
            })
            .collect();
        let what = format!(
            "{}'s view ({}) still lists {}",
            holder.id,
            holder
                .own_state()
                .map_or_else(|| "unread".to_string(), |s| s.to_string()),
            listed.join(", "),
        );
        let reason = format!(
            "complete outage: {what}; stopping Group Replication on {} (CALL \
             mysql.rds_group_replication_stop()) clears the stale view so the group can be \
             re-bootstrapped",
            holder.id
        );
        draft.consider(
            ctx,
            Candidate::new(ActionKind::Expel, holder.id, reason).toward_bootstrap(seed),
            proven_out.clone().and_then(|()| available(holder)),
        );
        stale.push(what);
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(block(
            Guard::StaleView,
            format!(
                "{}: no bootstrap while a view shows a live member; stopping Group Replication \
                 on the view's owner clears it",
                stale.join("; ")
            ),
        ))
    }
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
    let Some(target) = live.first() else {
        // No member read now is live, yet a view lists one that could not be read as live.
        draft.note(
            FindingKind::NoQuorum,
            Severity::Critical,
            None,
            format!(
                "No member that could be read is in a live group, but {}. It may be live in a \
                 group grkeeper cannot see, so nothing is bootstrapped. Make it readable by \
                 grkeeper, or, if it is down, stop it through RDS (aws rds stop-db-instance \
                 --db-instance-identifier ID) so that its state is known.",
                unread_live_rows(ctx)
            ),
        );
        reboot_offline_mode(ctx, draft);
        return;
    };
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
    let (candidate, chosen) = seed::choose(ctx, draft, &picture.nodes);
    let Some(candidate) = candidate else {
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
        .and(chosen)
        .and_then(|()| available(target));
    let reason = format!(
        "fence the hung partition: the group lost quorum and {} are out of any group; stopping \
         Group Replication on {} lets the group be re-bootstrapped from {}",
        names(&rest),
        target.id,
        candidate.id
    );
    draft.consider(
        ctx,
        Candidate::new(ActionKind::Expel, target.id, reason).toward_bootstrap(candidate.id),
        data,
    );
}

/// `orders-2's view lists orders-3 ONLINE` for every live row whose member was not read.
fn unread_live_rows(ctx: &Ctx<'_>) -> String {
    let picture = &ctx.picture;
    let mut rows = Vec::new();
    for holder in &picture.nodes {
        for row in holder
            .report
            .map_or(&[][..], |r| r.view.as_slice())
            .iter()
            .filter(|r| r.state.is_live())
            .filter(|r| {
                !picture
                    .by_uuid
                    .contains_key(&r.member_id.to_ascii_lowercase())
            })
        {
            rows.push(format!(
                "{}'s view lists {} {}",
                holder.id,
                picture.who(row),
                row.state
            ));
        }
    }
    rows.join(", ")
}

/// Two live groups: alert only, with the steps to reconcile them.
pub(crate) fn split_brain(ctx: &Ctx<'_>, draft: &mut Draft) {
    let picture = &ctx.picture;
    // The live members, grouped by the members their views list.
    let mut groups: BTreeMap<Vec<String>, Vec<&Node<'_>>> = BTreeMap::new();
    for node in picture
        .nodes
        .iter()
        .filter(|n| n.own_state().is_some_and(MemberState::is_live))
    {
        let mut view: Vec<String> = node
            .report
            .map_or(&[][..], |r| r.view.as_slice())
            .iter()
            .map(|row| {
                picture
                    .node_of(&row.member_id)
                    .map_or_else(|| row.member_id.to_ascii_lowercase(), |n| n.id.to_string())
            })
            .collect();
        view.sort();
        groups.entry(view).or_default().push(node);
    }
    let described: Vec<String> = groups
        .iter()
        .map(|(view, members)| {
            format!(
                "{{{}}} (whose view lists {})",
                names(members),
                view.join(", ")
            )
        })
        .collect();
    let cluster = &ctx.snapshot.cluster;
    draft.note(
        FindingKind::SplitBrain,
        Severity::Critical,
        None,
        format!(
            "Split brain: {} live groups exist at once: {}. Their data diverges with every write, \
             under the same GTID numbers, so a member of one must never be rejoined into the \
             other. grkeeper takes no action in this cluster until one group is left. 1. Decide \
             which group to keep. 2. Stop writes to the others and pause grkeeper for each of \
             their members (`grkeeper pause --cluster {cluster} --instance ID --for 24h --reason \
             split-brain`): their GTID sets can look like subsets of the kept group's while \
             holding different rows. 3. Stop Group Replication on each of them (CALL \
             mysql.rds_group_replication_stop()). 4. Save what only they committed (their \
             binary logs), then rebuild each from a member of the kept group (point-in-time \
             restore) and re-apply what must be kept. 5. Resume (`grkeeper resume --cluster \
             {cluster} --instance ID`) and approve each rebuilt member's rejoin (`grkeeper \
             approve rejoin --cluster {cluster} --instance ID`): grkeeper remembers the groups \
             and rejoins no member of one into the other, nor re-bootstraps, until then.",
            groups.len(),
            described.join(" and ")
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

/// Every node in `nodes` must be proven out of any group: read and not live, or down in RDS.
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
                 group; grkeeper will not re-bootstrap until it is read or confirmed down. Make \
                 it reachable from grkeeper, or stop it (aws rds stop-db-instance \
                 --db-instance-identifier {}).",
                node.id,
                node.rds_status(),
                node.id
            ),
        );
    }
    Err(block(
        Guard::UnobservedMember,
        format!(
            "{} could not be proven out of any group (not read, not down): make {} readable or \
             stop {} through RDS",
            names(&unknown),
            if unknown.len() == 1 { "it" } else { "them" },
            if unknown.len() == 1 { "it" } else { "them" }
        ),
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
                "members are configured for different groups: {}; give every member's DB \
                 parameter group the same group_replication_group_name",
                names.join(", ")
            ),
        ))
    } else {
        Ok(())
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
                (None, _) if n.is_down() => n.rds_status().to_string(),
                (None, _) => "unreadable".to_string(),
            };
            format!("{} {state}", n.id)
        })
        .collect::<Vec<_>>()
        .join(", ")
}
