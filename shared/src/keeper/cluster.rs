//! One cluster's tick. The order matters for safety:
//! 1. take the lease (another tick holds it: stop, nothing done);
//! 2. read the history and verify any action an earlier tick left `pending` (never repeat it;
//!    one whose call was never sent is recorded not attempted);
//! 3. observe, plan; for the planned action: journal the intent, mark it sent, act, verify,
//!    journal the outcome, renew the lease, observe and plan again — until nothing is left to do,
//!    an action fails, the step budget or the invocation deadline is reached, or a second
//!    disruptive action comes up (one reboot, expel or bootstrap per tick; rejoins may follow it);
//! 4. save the conditions and the planner's memory (each instance as last read, strangers, a split
//!    brain), deliver the incident transitions (any an earlier tick could not deliver first; what
//!    cannot be delivered now waits in the journal), put topology events, emit metrics;
//! 5. release the lease.
//!
//! Any journal error stops acting at once: without the journal, an action could be repeated.

use std::io::Write as _;
use std::time::{Duration, Instant};

use tracing::{debug, error, info, warn};

use crate::model::Instance;
use crate::plan::{self, Action, Memory, flapping};
use crate::ports::Ports;
use crate::ports::clock::Clock;
use crate::ports::journal::{
    ActionId, Journal, JournalError, Lease, LeaseGrant, LeaseStore, Tracked, lookback,
};
use crate::ports::member_probe::MemberProbe;
use crate::ports::notifier::AlertError;
use crate::ports::rds::ClusterInventory;
use crate::report::metrics::TickMetrics;
use crate::report::{Step, recoverability, topology};
use crate::snapshot::{ActionKind, FORMAT, History, Outcome, PastAction, Policy, Snapshot};

use super::act::{self, Verdict, Verification};
use super::claim::{self, ClaimError};
use super::observe::observe_cluster;
use super::records;
use super::{ActionReport, ClusterOutcome, ClusterReport, Keeper, TickOptions};

/// Time kept free before the invocation deadline besides one verification: publishing alerts,
/// saving the journal and releasing the lease.
const WRAP_UP: Duration = Duration::from_secs(15);

pub(super) async fn tick<P: Ports>(
    keeper: &Keeper<P>,
    cluster: &ClusterInventory,
    options: &TickOptions,
) -> ClusterReport {
    let started = Instant::now();
    let name = cluster.cluster.as_str();
    if cluster.instances.is_empty() {
        // A cluster named in GRKEEPER_CLUSTERS that no instance is tagged for: a configuration
        // problem to report as such, not a "complete outage" of nothing.
        let mut report = ClusterReport::new(name, ClusterOutcome::Failed);
        report.error = Some(format!(
            "no DB instance belongs to cluster {name:?}: check the cluster tag on the instances \
             and GRKEEPER_CLUSTERS / GRKEEPER_INSTANCES"
        ));
        report.error_kind = Some("empty_cluster");
        report.metrics = emit(
            keeper,
            options,
            TickMetrics::unplanned(name, started.elapsed()),
        );
        return report;
    }
    let lease = if options.dry_run {
        None
    } else {
        match keeper
            .journal
            .acquire_lease(
                name,
                &options.owner,
                keeper.clock.now(),
                keeper.config.lease,
            )
            .await
        {
            Ok(LeaseGrant::Acquired(lease)) => Some(lease),
            Ok(LeaseGrant::Held { owner, until }) => {
                info!(cluster = name, %owner, %until, "skipped: lease held");
                let mut report = ClusterReport::new(name, ClusterOutcome::SkippedLeaseHeld);
                report
                    .notes
                    .push(format!("lease held by {owner} until {until}"));
                report.metrics = emit(
                    keeper,
                    options,
                    TickMetrics::unplanned(name, started.elapsed()),
                );
                return report;
            }
            Err(e) => {
                let mut report = failed(name, &e);
                report.metrics = emit(
                    keeper,
                    options,
                    TickMetrics::unplanned(name, started.elapsed()),
                );
                return report;
            }
        }
    };
    let mut run = Run {
        keeper,
        cluster,
        options,
        policy: keeper.config.policy_for(name),
        lease,
        hold: None,
        report: ClusterReport::new(
            name,
            if options.dry_run {
                ClusterOutcome::DryRun
            } else {
                ClusterOutcome::Ticked
            },
        ),
    };
    let result = run.reconcile().await;
    let Run {
        lease, mut report, ..
    } = run;
    let metrics = match result {
        Ok(()) => report.plan.as_ref().map(|plan| {
            let taken = report.actions.iter().filter(|a| !a.resumed).count();
            // Kept names count a tick whose records could not be read or changed.
            let dns_failures = keeper
                .config
                .dns
                .as_ref()
                .map(|_| usize::from(report.dns.as_ref().is_some_and(|d| d.error.is_some())));
            TickMetrics::planned(
                plan,
                taken,
                report.alerts_parked,
                dns_failures,
                started.elapsed(),
            )
        }),
        Err(e) => {
            error!(cluster = name, error = %e, kind = e.kind(), "tick failed");
            report.outcome = ClusterOutcome::Failed;
            report.error_kind = Some(e.kind());
            report.error = Some(e.to_string());
            None
        }
    };
    report.metrics = emit(
        keeper,
        options,
        metrics.unwrap_or_else(|| TickMetrics::unplanned(name, started.elapsed())),
    );
    if let Some(lease) = lease
        && let Err(e) = keeper
            .journal
            .release_lease(&lease, keeper.clock.now())
            .await
    {
        // It expires by itself; the next tick waits at most the lease length.
        warn!(cluster = name, error = %e, "lease not released");
        report.notes.push(format!("lease not released: {e}"));
    }
    report
}

/// Why a cluster's tick stopped.
#[derive(Debug, thiserror::Error)]
pub(super) enum TickError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("alert not delivered: {0}")]
    Alert(#[from] AlertError),
    #[error(transparent)]
    Claim(#[from] ClaimError),
}

impl TickError {
    fn kind(&self) -> &'static str {
        match self {
            TickError::Journal(e) => e.kind(),
            TickError::Alert(e) => e.kind(),
            TickError::Claim(e) => e.kind(),
        }
    }
}

/// One cluster's tick in progress.
pub(super) struct Run<'k, P: Ports> {
    pub(super) keeper: &'k Keeper<P>,
    pub(super) cluster: &'k ClusterInventory,
    pub(super) options: &'k TickOptions,
    policy: Policy,
    pub(super) lease: Option<Lease>,
    pub(super) report: ClusterReport,
    /// Why no action may start in this tick at all (the cluster was claimed just now).
    hold: Option<String>,
}

impl<P: Ports> Run<'_, P> {
    async fn reconcile(&mut self) -> Result<(), TickError> {
        let keeper = self.keeper;
        let name = self.cluster.cluster.as_str();
        let mut history = keeper
            .journal
            .history(name, keeper.clock.now(), lookback(&self.policy))
            .await?;
        let before = history.conditions.clone();
        let remembered = Memory {
            last_seen: history.last_seen.clone(),
            strangers: history.strangers.clone(),
            split_brain: history.split_brain.clone(),
            active: history.active.clone(),
        };
        let mut instances = self.observe().await;
        self.hold = claim::settle(keeper, name, &instances, self.options.dry_run).await?;
        if self.lease.is_some() {
            instances = self.resume_pending(&mut history, instances).await?;
        }
        let steps = self.act_until_done(&mut history, instances).await?;
        let Some(last) = steps.last() else {
            return Ok(());
        };
        // Conditions step by step, so a member seen in offline mode and then back ONLINE within
        // one tick shows both changes to whoever follows the topology events.
        let mut conditions = before;
        let mut changes = Vec::new();
        for step in &steps {
            changes.extend(topology::member_changes(
                &conditions,
                &step.plan.conditions,
                &step.snapshot,
            ));
            conditions = step.plan.conditions.clone();
        }
        recoverability::record(&mut history, &last.snapshot);
        // Saved before the alerts, so an SNS outage does not restart every deadline's clock nor
        // lose what was read. A record of an instance no longer in the inventory is deleted.
        if let Some(lease) = &self.lease {
            keeper
                .journal
                .save_tracked(lease, &Tracked::of(&history))
                .await?;
            // The records, before the memory: the active member is remembered only once the
            // name points at it.
            let published = records::publish(
                keeper,
                lease,
                &last.plan,
                &last.snapshot,
                remembered.active.clone(),
            )
            .await?;
            changes.extend(published.events);
            self.report.dns = published.report;
            let memory = Memory {
                active: published.active,
                ..last.plan.memory.clone()
            };
            keeper
                .journal
                .save_memory(lease, &memory, &remembered)
                .await?;
        }
        let transitions = self.alert(&steps).await?;
        // A refusal's snapshot at info when it is news (a refusal started or changed, so an
        // alert tells of it and points at this tick's log); a cluster refused for days repeats
        // it at debug only, and its tick's summary line stays.
        for step in steps.iter().filter(|s| s.plan.action.is_none()) {
            if !step.plan.refused.is_empty() {
                self.log_snapshot(&step.snapshot, !transitions.is_empty());
            }
        }
        if self.lease.is_some() {
            self.put_events(changes, &last.snapshot, &last.plan, &transitions)
                .await;
        }
        self.report.plan = Some(last.plan.clone());
        self.report.snapshot = Some(last.snapshot.clone());
        Ok(())
    }

    /// Logs the snapshot a decision was made on, at info when `news`, else at debug.
    fn log_snapshot(&self, snapshot: &Snapshot, news: bool) {
        // Written only when the level is on: a snapshot is large.
        let json = || serde_json::to_string(snapshot).unwrap_or_default();
        let (cluster, tick) = (&snapshot.cluster, &self.options.owner);
        if news {
            info!(%cluster, %tick, snapshot = %json(), "planned on this snapshot");
        } else {
            debug!(%cluster, %tick, snapshot = %json(), "planned on this snapshot");
        }
    }

    async fn observe(&self) -> Vec<Instance> {
        let keeper = self.keeper;
        observe_cluster(
            &keeper.rds,
            &keeper.members,
            self.cluster,
            &keeper.config.endpoint_overrides,
        )
        .await
    }

    /// Verifies every action an earlier tick journaled but never finished, and records how it
    /// ended; returns a fresh observation if anything was verified.
    async fn resume_pending(
        &mut self,
        history: &mut History,
        mut instances: Vec<Instance>,
    ) -> Result<Vec<Instance>, TickError> {
        let keeper = self.keeper;
        let Some(mut lease) = self.lease.clone() else {
            return Ok(instances);
        };
        for past in history
            .actions
            .iter_mut()
            .filter(|a| a.outcome == Outcome::Pending)
        {
            let action = Action {
                placeholders: past.placeholders.clone(),
                maintenance: past.maintenance.clone(),
                ..Action::new(
                    past.kind,
                    past.instance.clone(),
                    "journaled by an earlier tick that did not record its outcome",
                )
            };
            let id = ActionId::of(past);
            // An intent never marked sent: the earlier tick stopped before the call (the reply of
            // the intent's own write was lost, say). Nothing ran, so nothing is verified.
            let outcome = if keeper.journal.sent(&lease.cluster, &id).await? {
                warn!(kind = %past.kind, instance = %past.instance, "verifying a pending action");
                act::resume(&action, &self.context(&instances)).await
            } else {
                warn!(kind = %past.kind, instance = %past.instance, "a pending action was never sent");
                act::never_sent(&action)
            };
            past.outcome = journal_outcome(outcome.verdict);
            keeper
                .journal
                .record_outcome(
                    &lease,
                    &id,
                    past.outcome,
                    &outcome.summary,
                    keeper.clock.now(),
                )
                .await?;
            // A verification may take most of a lease: renew it, as after a new action.
            lease = keeper
                .journal
                .renew_lease(&lease, keeper.clock.now(), keeper.config.lease)
                .await?;
            self.lease = Some(lease.clone());
            self.report.actions.push(ActionReport {
                kind: action.kind,
                instance: action.instance,
                reason: action.reason,
                placeholders: action.placeholders,
                verdict: outcome.verdict,
                summary: outcome.summary,
                resumed: true,
            });
            instances = self.observe().await;
        }
        Ok(instances)
    }

    /// Plans, and acts on each plan's action, until there is nothing to do or acting must
    /// stop; returns every step's snapshot, plan and, when its action was taken, how it ended
    /// (the last step shows the final state).
    async fn act_until_done(
        &mut self,
        history: &mut History,
        mut instances: Vec<Instance>,
    ) -> Result<Vec<Step>, TickError> {
        let keeper = self.keeper;
        let mut steps = Vec::new();
        let mut stop = false;
        // A bootstrap is the one action that can create a second group: right before it, the
        // members are observed and the cluster planned again, and it goes ahead only if that
        // fresh plan still asks for a bootstrap.
        let mut fresh = false;
        // The disruptive action this tick took: a second one waits for the next tick, which
        // sees the cluster settle from the first (a tick rebooting two members at once could
        // take a majority down with them).
        let mut disrupted: Option<(ActionKind, String)> = None;
        loop {
            let snapshot = Snapshot {
                format: FORMAT,
                cluster: self.cluster.cluster.clone(),
                observed_at: keeper.clock.now(),
                instances,
                policy: self.policy.clone(),
                history: history.clone(),
                db_user: keeper.members.user(),
            };
            let plan = plan::plan(&snapshot);
            // The next step plans from what this one saw: the conditions, who left, and the
            // memory.
            flapping::record(
                history,
                &plan.conditions,
                snapshot.observed_at,
                &self.policy,
            );
            history.conditions = plan.conditions.clone();
            history.last_seen = plan.memory.last_seen.clone();
            history.strangers = plan.memory.strangers.clone();
            history.split_brain = plan.memory.split_brain.clone();
            // An action is a decision worth explaining later: keep what it was made on,
            // replayable with `grkeeper plan --snapshot`; alerts say how to fetch it. A refusal
            // is logged once its alerts are decided (`reconcile`).
            if plan.action.is_some() {
                self.log_snapshot(&snapshot, true);
            }
            let action = plan.action.clone();
            steps.push(Step {
                snapshot,
                plan,
                taken: None,
            });
            let (Some(action), Some(lease)) = (action, self.lease.clone()) else {
                break;
            };
            if stop {
                break;
            }
            if let Some(why) = self.must_stop() {
                self.report.notes.push(format!(
                    "{why}; {} {} left for the next tick",
                    action.kind, action.instance
                ));
                break;
            }
            if let Some((kind, instance)) = &disrupted
                && action.kind.is_disruptive()
            {
                self.report.notes.push(format!(
                    "one disruptive action per tick ({kind} of {instance} taken); {} of {} left \
                     for the next tick",
                    action.kind, action.instance
                ));
                break;
            }
            if action.kind == ActionKind::Bootstrap && !fresh {
                fresh = true;
                instances = self.observe().await;
                continue;
            }
            fresh = false;
            let at = keeper.clock.now();
            let id = keeper.journal.record_intent(&lease, &action, at).await?;
            history.actions.push(PastAction {
                kind: action.kind,
                instance: action.instance.clone(),
                at,
                outcome: Outcome::Pending,
                placeholders: action.placeholders.clone(),
                maintenance: action.maintenance.clone(),
            });
            // From here on the call may have been made: a later tick verifies it if this one
            // dies. Before this write, it resumes the intent as never sent.
            keeper.journal.mark_sent(&lease, &id).await?;
            let observed = steps
                .last()
                .map(|s| s.snapshot.instances.as_slice())
                .unwrap_or_default();
            let outcome = act::act(&action, &self.context(observed)).await;
            let recorded = journal_outcome(outcome.verdict);
            keeper
                .journal
                .record_outcome(&lease, &id, recorded, &outcome.summary, keeper.clock.now())
                .await?;
            if let Some(past) = history.actions.last_mut() {
                past.outcome = recorded;
            }
            if let Some(step) = steps.last_mut() {
                step.taken = Some(recorded);
            }
            self.lease = Some(
                keeper
                    .journal
                    .renew_lease(&lease, keeper.clock.now(), keeper.config.lease)
                    .await?,
            );
            // After a failure, plan once more for the alert, but act no further this tick.
            stop = outcome.verdict != Verdict::Verified;
            if action.kind.is_disruptive() {
                disrupted = Some((action.kind, action.instance.clone()));
            }
            self.report.actions.push(ActionReport {
                kind: action.kind,
                instance: action.instance,
                reason: action.reason,
                placeholders: action.placeholders,
                verdict: outcome.verdict,
                summary: outcome.summary,
                resumed: false,
            });
            instances = self.observe().await;
        }
        Ok(steps)
    }

    /// Why no further action may start now, if one may not.
    fn must_stop(&self) -> Option<String> {
        if let Some(why) = &self.hold {
            return Some(why.clone());
        }
        let taken = self.report.actions.iter().filter(|a| !a.resumed).count();
        if taken >= usize::try_from(self.keeper.config.max_steps).unwrap_or(usize::MAX) {
            return Some(format!(
                "step budget reached ({} actions, GRKEEPER_MAX_STEPS)",
                self.keeper.config.max_steps
            ));
        }
        let deadline = self.options.deadline?;
        let needed = self.keeper.config.verify_timeout + WRAP_UP;
        (deadline.saturating_duration_since(Instant::now()) < needed)
            .then(|| "the invocation deadline is too close for another verified action".into())
    }

    fn context<'a>(
        &'a self,
        observed: &'a [Instance],
    ) -> act::Context<'a, P::Members, P::Rds, P::Clock> {
        let keeper = self.keeper;
        act::Context {
            members: &keeper.members,
            rds: &keeper.rds,
            clock: &keeper.clock,
            observed,
            overrides: &keeper.config.endpoint_overrides,
            verification: Verification::new(keeper.config.verify_timeout),
        }
    }
}

/// What the journal keeps of a verdict: only a verified action succeeded; one that ran but was
/// not verified failed (its summary says why); one that never ran was not attempted, which the
/// cooldown counts but the budgets and the "rebooted in vain" check do not.
pub(super) fn journal_outcome(verdict: Verdict) -> Outcome {
    match verdict {
        Verdict::Verified => Outcome::Succeeded,
        Verdict::Failed | Verdict::Unverified => Outcome::Failed,
        Verdict::NotAttempted => Outcome::NotAttempted,
    }
}

fn failed(cluster: &str, error: &JournalError) -> ClusterReport {
    error!(cluster, error = %error, kind = error.kind(), "tick failed");
    let mut report = ClusterReport::new(cluster, ClusterOutcome::Failed);
    report.error = Some(error.to_string());
    report.error_kind = Some(error.kind());
    report
}

/// Writes the metrics line (when the tick emits metrics) and returns it.
fn emit<P: Ports>(
    keeper: &Keeper<P>,
    options: &TickOptions,
    metrics: TickMetrics,
) -> Option<String> {
    if !options.emit_metrics {
        return None;
    }
    // To standard output, where Lambda sends it to CloudWatch Logs. One write of one line, so
    // it is never interleaved with a log line; a closed stdout loses a datapoint, never the tick.
    let line = metrics.to_emf(&keeper.config.deployment, keeper.clock.now());
    let _ = std::io::stdout()
        .lock()
        .write_all(format!("{line}\n").as_bytes());
    Some(line)
}
