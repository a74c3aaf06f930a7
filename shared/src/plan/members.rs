//! Per-instance findings that need no decision: what RDS and the probe said about each member
//! (stopped, changing, unreachable, offline mode, ERROR, credentials rejected).

use crate::model::MemberState;
use crate::model::untrusted::quote;

use super::draft::{Ctx, Draft};
use super::picture::Node;
use super::{FindingKind, Severity};

pub(crate) fn note(ctx: &Ctx<'_>, draft: &mut Draft) {
    for node in &ctx.picture.nodes {
        note_control_plane(node, draft);
        note_member(node, draft);
    }
}

fn note_control_plane(node: &Node<'_>, draft: &mut Draft) {
    let id = Some(node.id);
    if let Some(error) = node.rds_error {
        draft.note(
            FindingKind::ControlPlaneError,
            Severity::Warning,
            id,
            format!(
                "DescribeDBInstances failed for {}: {error}. Actions that need its RDS status \
                 wait until it can be read.",
                node.id
            ),
        );
    }
    let Some(rds) = node.rds else { return };
    if rds.status.is_stopped() {
        draft.note(
            FindingKind::MemberStopped,
            Severity::Warning,
            id,
            format!(
                "{} is stopped through RDS. RDS starts it again after 7 days; if its donors purge \
                 the binlogs it lacks before then, it will need a rebuild. Start it with \
                 `aws rds start-db-instance --db-instance-identifier {}` when it should rejoin.",
                node.id, node.id
            ),
        );
    } else if rds.status.is_changing() {
        draft.note(
            FindingKind::InstanceChanging,
            Severity::Info,
            id,
            format!(
                "RDS reports {} as {}; grkeeper waits for RDS to finish before acting on it.",
                node.id, rds.status
            ),
        );
    }
}

fn note_member(node: &Node<'_>, draft: &mut Draft) {
    let id = Some(node.id);
    if let Some(error) = node.probe_error {
        let expected_down = node.is_stopped() || node.rds.is_some_and(|r| r.status.is_changing());
        if error.is_access_denied() {
            draft.note(
                FindingKind::AccessDenied,
                Severity::Critical,
                id,
                format!(
                    "{} rejected grkeeper's credentials ({error}). Check the database secret \
                     (GRKEEPER_SECRET_ARN) and the user's grants; grkeeper cannot see or repair \
                     this member until it can log in.",
                    node.id
                ),
            );
        } else if error.is_offline_mode() {
            draft.note(
                FindingKind::OfflineMode,
                Severity::Warning,
                id,
                format!(
                    "{} is in offline mode ({error}): it left the group and its exit action \
                     (OFFLINE_MODE) locked clients out. A reboot brings it back and it rejoins.",
                    node.id
                ),
            );
        } else if !expected_down {
            draft.note(
                FindingKind::MemberUnreachable,
                Severity::Warning,
                id,
                format!(
                    "{} cannot be read ({error}) although RDS reports it {}. Check the network \
                     path from grkeeper (security groups, subnets) and the instance's health.",
                    node.id,
                    node.rds_status()
                ),
            );
        }
    }
    if node.own_state() == Some(MemberState::Error) {
        let last = node
            .report
            .and_then(|r| r.errors.first())
            .map(|e| {
                format!(
                    " Last replication error: {} {}",
                    e.error_code,
                    quote(&e.data)
                )
            })
            .unwrap_or_default();
        draft.note(
            FindingKind::MemberError,
            Severity::Warning,
            id,
            format!(
                "{} reports its Group Replication state as ERROR: it is not in the group and is \
                 super-read-only.{last}",
                node.id
            ),
        );
    }
}
