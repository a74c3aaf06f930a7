//! The verification observations: what each action must lead to, polled until it is seen, the
//! member turns bad, or the deadline passes.
//!
//! - rejoin, bootstrap: the member `ONLINE` in a view with quorum (`RECOVERING` is progress);
//! - expel: the member `OFFLINE` and absent from every other answering member's view;
//! - reboot: RDS leaves `available` and comes back, and the member answers (not in `ERROR`);
//! - maintenance: RDS leaves `available` (it took the member down for the step); the roll waits
//!   for the member to come back on later ticks, which may be long after a verification ends;
//! - sync: every placeholder in the instance's `gtid_executed` (read back, never assumed).
//!
//! A bad state (`ERROR`/`OFFLINE`, offline mode) must be seen twice in a row to fail the action:
//! a joining member passes through `OFFLINE` or `ERROR` briefly during its checks.

use futures_util::future::join_all;

use super::{ActionResult, Context, Verdict};
use crate::gtid::GtidSet;
use crate::model::{Endpoint, Instance, MemberReport, MemberState, ProbeError};
use crate::ports::clock::Clock;
use crate::ports::member_control::MemberControl;
use crate::ports::member_probe::MemberProbe;
use crate::ports::rds::RdsControl;
use crate::snapshot::ActionKind;

/// What one observation says about the action.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Progress {
    Done(String),
    Waiting(String),
    Bad(String),
}

/// The action's target and how to look at it.
pub(super) struct Check<'c, M, R, C> {
    kind: ActionKind,
    instance: &'c Instance,
    endpoint: Endpoint,
    context: &'c Context<'c, M, R, C>,
    /// A sync step's placeholders, which the instance must end up holding.
    placeholders: Option<GtidSet>,
}

impl<'c, M, R, C> Check<'c, M, R, C>
where
    M: MemberProbe + MemberControl,
    R: RdsControl,
    C: Clock,
{
    pub(super) fn new(
        kind: ActionKind,
        instance: &'c Instance,
        endpoint: Endpoint,
        context: &'c Context<'c, M, R, C>,
        placeholders: Option<GtidSet>,
    ) -> Self {
        Check {
            kind,
            instance,
            endpoint,
            context,
            placeholders,
        }
    }

    pub(super) fn members(&self) -> &'c M {
        self.context.members
    }

    pub(super) fn rds(&self) -> &'c R {
        self.context.rds
    }

    pub(super) fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The member's own GR state in the observation the action was planned on, if it was read.
    pub(super) fn planned_state(&self) -> Option<MemberState> {
        self.instance.mysql.seen().map(MemberReport::own_state)
    }

    /// Probes the member once and records its state and error-log lines.
    pub(super) async fn evidence(&self, result: &mut ActionResult) {
        if let Ok(report) = self.members().probe(&self.endpoint).await {
            record(result, &report);
        }
    }

    /// Observes until the expected state, two bad observations in a row, or the deadline, which
    /// the context's clock measures (as it times the pauses between looks).
    /// `restarted`: a reboot's restart was already seen (by an earlier tick that resumed it).
    pub(super) async fn wait(&self, result: &mut ActionResult, restarted: bool) {
        let verification = self.context.verification;
        let clock = self.context.clock;
        let deadline = clock.now() + span(verification.timeout);
        let mut saw_restart = restarted;
        let mut bad_before = false;
        loop {
            let progress = self.look(result, &mut saw_restart).await;
            let bad = matches!(progress, Progress::Bad(_));
            match progress {
                Progress::Done(what) => {
                    result.verdict = Verdict::Verified;
                    result.summary =
                        format!("{} of {} verified: {what}", self.kind, self.instance.id);
                    return;
                }
                Progress::Bad(what) if bad_before => {
                    result.verdict = Verdict::Failed;
                    result.summary =
                        format!("{} of {} failed: {what}", self.kind, self.instance.id);
                    return;
                }
                Progress::Bad(what) | Progress::Waiting(what) => {
                    bad_before = bad;
                    if clock.now() + span(verification.interval) > deadline {
                        result.verdict = Verdict::Unverified;
                        result.summary = format!(
                            "{} of {} not verified within {}s: {what}",
                            self.kind,
                            self.instance.id,
                            verification.timeout.as_secs()
                        );
                        return;
                    }
                }
            }
            clock.sleep(verification.interval).await;
        }
    }

    async fn look(&self, result: &mut ActionResult, saw_restart: &mut bool) -> Progress {
        match self.kind {
            ActionKind::Rejoin | ActionKind::Bootstrap => self.look_joined(result).await,
            ActionKind::Expel => self.look_expelled(result).await,
            ActionKind::Reboot => self.look_rebooted(result, saw_restart).await,
            ActionKind::Maintenance => self.look_maintained(result, *saw_restart).await,
            ActionKind::SyncGtids => self.look_synced(result).await,
        }
    }

    /// The placeholders are executed on the instance. A call cut off may still be running on
    /// the server, so missing ones are waited for, never a failure by themselves.
    async fn look_synced(&self, result: &mut ActionResult) -> Progress {
        let report = match self.members().probe(&self.endpoint).await {
            Ok(report) => report,
            Err(e) => return unanswered(&e),
        };
        record(result, &report);
        let wanted = self.placeholders.clone().unwrap_or_default();
        let missing = wanted.difference(&report.gtid_executed);
        if missing.is_empty() {
            Progress::Done(format!("{wanted} executed"))
        } else {
            Progress::Waiting(format!("{missing} not executed yet"))
        }
    }

    async fn look_joined(&self, result: &mut ActionResult) -> Progress {
        let report = match self.members().probe(&self.endpoint).await {
            Ok(report) => report,
            Err(e) => return unanswered(&e),
        };
        record(result, &report);
        match report.own_state() {
            MemberState::Online if report.has_quorum() => Progress::Done(format!(
                "ONLINE in a group of {} with quorum",
                report.view.len()
            )),
            MemberState::Online => Progress::Waiting("ONLINE in a view without quorum".to_owned()),
            MemberState::Recovering => Progress::Waiting("RECOVERING".to_owned()),
            state => Progress::Bad(format!("{state}")),
        }
    }

    async fn look_expelled(&self, result: &mut ActionResult) -> Progress {
        let report = match self.members().probe(&self.endpoint).await {
            Ok(report) => report,
            Err(e) => return Progress::Waiting(format!("member not read: {e}")),
        };
        record(result, &report);
        if report.own_state() != MemberState::Offline {
            return Progress::Waiting(format!("still {}", report.own_state()));
        }
        let others = self
            .context
            .observed
            .iter()
            .filter(|i| i.id != self.instance.id)
            .filter_map(|i| self.context.overrides.resolve(&i.id, i.rds.seen()));
        let views =
            join_all(others.map(|endpoint| async move { self.members().probe(&endpoint).await }))
                .await;
        let answered: Vec<&MemberReport> = views.iter().filter_map(|v| v.as_ref().ok()).collect();
        if answered.is_empty() && views.is_empty() {
            return Progress::Done("OFFLINE (no other member to ask)".to_owned());
        }
        if answered.is_empty() {
            return Progress::Waiting("OFFLINE, but no other member answers".to_owned());
        }
        let listing = answered
            .iter()
            .filter(|r| r.view.iter().any(|m| m.member_id == report.server_uuid))
            .count();
        if listing == 0 {
            Progress::Done(format!(
                "OFFLINE and gone from {} other view(s)",
                answered.len()
            ))
        } else {
            Progress::Waiting(format!(
                "OFFLINE, still listed by {listing} other member(s)"
            ))
        }
    }

    /// RDS took the instance down for the step (or, resumed, the step was sent: the roll's next
    /// plans wait for the member with what the step applied cleared).
    async fn look_maintained(&self, result: &mut ActionResult, resumed: bool) -> Progress {
        let status = match self.rds_status().await {
            Ok(status) => status,
            Err(waiting) => return waiting,
        };
        result.rds_status = Some(status.0.clone());
        if !status.is_available() {
            Progress::Done(format!("RDS works on it (status {status})"))
        } else if resumed {
            Progress::Done("sent by an earlier tick; the roll waits for the member".to_owned())
        } else {
            Progress::Waiting("RDS has not taken the instance down yet".to_owned())
        }
    }

    /// The instance's RDS status, or the progress that says why it is not known.
    async fn rds_status(&self) -> Result<crate::model::InstanceStatus, Progress> {
        let described = self
            .rds()
            .describe(std::slice::from_ref(&self.instance.id))
            .await
            .map_err(|e| Progress::Waiting(format!("DescribeDBInstances failed: {e}")))?;
        described
            .into_iter()
            .next()
            .and_then(|(_, rds)| rds.seen().map(|r| r.status.clone()))
            .ok_or_else(|| {
                Progress::Waiting("DescribeDBInstances does not show the instance".to_owned())
            })
    }

    async fn look_rebooted(&self, result: &mut ActionResult, saw_restart: &mut bool) -> Progress {
        let status = match self.rds_status().await {
            Ok(status) => status,
            Err(waiting) => return waiting,
        };
        result.rds_status = Some(status.0.clone());
        if !status.is_available() {
            *saw_restart = true;
            return Progress::Waiting(format!("RDS status {status}"));
        }
        if !*saw_restart {
            return Progress::Waiting("RDS has not shown the instance restarting yet".to_owned());
        }
        let report = match self.members().probe(&self.endpoint).await {
            Ok(report) => report,
            Err(e) => return unanswered(&e),
        };
        record(result, &report);
        match report.own_state() {
            MemberState::Error => Progress::Bad("back, but in ERROR".to_owned()),
            state => Progress::Done(format!("available again, member answers ({state})")),
        }
    }
}

/// A duration on the clock's time line (saturating: a verification never waits for ever).
fn span(duration: std::time::Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(duration).unwrap_or(chrono::TimeDelta::MAX)
}

/// A failed probe while waiting: offline mode is the member exiting again; anything else may be
/// the member still starting.
fn unanswered(error: &ProbeError) -> Progress {
    if error.is_offline_mode() {
        Progress::Bad(format!("offline mode: {error}"))
    } else {
        Progress::Waiting(format!("member not read: {error}"))
    }
}

fn record(result: &mut ActionResult, report: &MemberReport) {
    result.member_state = Some(report.own_state());
    result.evidence = report.errors.clone();
}
