//! The keeper's ports in a schedule: every real or in-memory implementation wrapped in
//! [`Faulty`], which counts the tick's calls, cuts the tick off where a fault says, fails calls
//! (throttled, a server error, a reply lost after the call went through), records every action
//! that reaches the cluster for the checker, and, for the checker's own test, plants an unsafe
//! planner ([`UnsafePlanner`]). The library has no test switch: all of it happens here, between
//! the keeper and its adapters.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use grkeeper::model::{Endpoint, MemberReport, ProbeError};
use grkeeper::plan::{Action, Memory};
use grkeeper::ports::aws::{AwsError, FailureClass};
use grkeeper::ports::journal::{
    ActionId, Alerting, DnsChange, Journal, JournalError, Lease, LeaseGrant, LeaseStore, Tracked,
};
use grkeeper::ports::member_control::{CallError, MemberControl, Procedure, ProcedureReply};
use grkeeper::ports::member_probe::MemberProbe;
use grkeeper::ports::notifier::{AlertError, Notifier};
use grkeeper::ports::rds::{ClusterInventory, Described, RdsControl, RdsError};
use grkeeper::ports::reboot::RdsReboot;
use grkeeper::ports::topology_bus::{TopologyBus, TopologyError};
use grkeeper::report::AlertMessage;
use grkeeper::report::topology::TopologyEvent;
use grkeeper::snapshot::{Approval, History, Outcome, Pause};

use crate::schedule::{AwsFailure, CutPoint, Port};
use crate::tap::{Done, Gate, Tap};

/// A deliberately unsafe planner, planted between the keeper and the members to show that the
/// checker catches what it must (never used by a schedule unless asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsafePlanner {
    /// Every rejoin is carried out as a bootstrap: a second group beside the live one.
    BootstrapInsteadOfRejoin,
}

impl UnsafePlanner {
    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            UnsafePlanner::BootstrapInsteadOfRejoin => "bootstrap-instead-of-rejoin",
        }
    }

    /// The planner named `name`.
    pub fn named(name: &str) -> Option<UnsafePlanner> {
        [UnsafePlanner::BootstrapInsteadOfRejoin]
            .into_iter()
            .find(|p| p.name() == name)
    }

    fn rewrite(self, procedure: Procedure) -> Procedure {
        match (self, procedure) {
            (UnsafePlanner::BootstrapInsteadOfRejoin, Procedure::StartJoin) => {
                Procedure::StartBootstrap
            }
            (_, other) => other,
        }
    }
}

/// A port implementation wrapped with the schedule's faults and records.
#[derive(Debug)]
pub struct Faulty<T> {
    inner: T,
    tap: Arc<Tap>,
    unsafe_planner: Option<UnsafePlanner>,
}

impl<T> Faulty<T> {
    /// `inner`, wrapped.
    pub fn new(inner: T, tap: Arc<Tap>) -> Self {
        Faulty {
            inner,
            tap,
            unsafe_planner: None,
        }
    }

    /// The same, carrying out actions as `planner` would.
    pub fn planted(mut self, planner: Option<UnsafePlanner>) -> Self {
        self.unsafe_planner = planner;
        self
    }
}

/// A cut-off tick never gets an answer: the runner drops it.
async fn halt<T>() -> T {
    std::future::pending().await
}

fn aws_error(operation: &'static str, failure: AwsFailure) -> AwsError {
    let (code, detail) = match failure {
        AwsFailure::Throttle => ("ThrottlingException", "Rate exceeded (chaos)"),
        AwsFailure::ServerError => ("InternalServerError", "Internal error (chaos)"),
        AwsFailure::LostReply => ("RequestTimeout", "The reply was lost (chaos)"),
    };
    AwsError::entry_failure(operation, Some(code), detail.to_owned())
}

/// Runs a wrapped call: the gate first (cut off, failed, or go), then the call, then a reply
/// lost or a cut-off after it. `milestone`: the cut point this call completes when it succeeds.
async fn through<R, E>(
    tap: &Tap,
    port: Port,
    op: &'static str,
    milestone: Option<CutPoint>,
    error: impl Fn(AwsFailure) -> E,
    call: impl Future<Output = Result<R, E>>,
) -> Result<R, E> {
    let entry = tap.enter(port, op);
    match entry.gate {
        Gate::Cut => return halt().await,
        Gate::Fail(failure) => return Err(error(failure)),
        Gate::Go | Gate::LoseReply => {}
    }
    let result = call.await;
    let reached = result.is_ok().then_some(milestone).flatten();
    if tap.left(entry.call, reached) {
        return halt().await;
    }
    if entry.gate == Gate::LoseReply {
        return Err(error(AwsFailure::LostReply));
    }
    result
}

impl<T: RdsControl> RdsControl for Faulty<T> {
    async fn clusters_by_tag(&self, tag_key: &str) -> Result<Vec<ClusterInventory>, RdsError> {
        let error = |f| RdsError::Aws(aws_error("RDS.DescribeDBInstances", f));
        let call = self.inner.clusters_by_tag(tag_key);
        through(&self.tap, Port::Rds, "clusters_by_tag", None, error, call).await
    }

    async fn describe(&self, ids: &[String]) -> Result<Described, RdsError> {
        let error = |f| RdsError::Aws(aws_error("RDS.DescribeDBInstances", f));
        let call = self.inner.describe(ids);
        through(&self.tap, Port::Rds, "describe", None, error, call).await
    }
}

/// Whether an RDS write call may have taken effect: refused (not available, unknown), RDS did
/// nothing; a timed-out request may have been taken.
fn reached_rds(result: &Result<(), RdsError>) -> bool {
    match result {
        Ok(()) => true,
        Err(RdsError::Aws(e)) => e.class == FailureClass::Timeout,
        Err(_) => false,
    }
}

impl<T: RdsReboot> RdsReboot for Faulty<T> {
    async fn reboot(&self, id: &str) -> Result<(), RdsError> {
        let error = |failure| match failure {
            // What the SDK's retry of a reboot whose reply was lost meets: the reboot under way.
            AwsFailure::LostReply => RdsError::InvalidState {
                instance: id.to_owned(),
                message: format!("Instance {id} is not in available state (chaos: reply lost)."),
            },
            other => RdsError::Aws(aws_error("RDS.RebootDBInstance", other)),
        };
        let call = async {
            let evidence = self.tap.evidence(id.to_owned(), Done::Reboot).await;
            let result = self.inner.reboot(id).await;
            if reached_rds(&result) {
                self.tap.record(evidence);
            }
            result
        };
        let milestone = Some(CutPoint::AfterAction);
        through(&self.tap, Port::Rds, "reboot", milestone, error, call).await
    }

    async fn apply_maintenance(&self, id: &str, action: &str) -> Result<(), RdsError> {
        let error = |f| RdsError::Aws(aws_error("RDS.ApplyPendingMaintenanceAction", f));
        let call = async {
            let evidence = self.tap.evidence(id.to_owned(), Done::Maintenance).await;
            let result = self.inner.apply_maintenance(id, action).await;
            if reached_rds(&result) {
                self.tap.record(evidence);
            }
            result
        };
        let milestone = Some(CutPoint::AfterAction);
        through(
            &self.tap,
            Port::Rds,
            "apply_maintenance",
            milestone,
            error,
            call,
        )
        .await
    }

    async fn claim(&self, id: &str, deployment: &str) -> Result<(), RdsError> {
        let error = |failure| RdsError::Aws(aws_error("RDS.AddTagsToResource", failure));
        let call = self.inner.claim(id, deployment);
        through(&self.tap, Port::Rds, "claim", None, error, call).await
    }
}

impl<T: MemberProbe> MemberProbe for Faulty<T> {
    async fn probe(&self, endpoint: &Endpoint) -> Result<MemberReport, ProbeError> {
        let error = |_| ProbeError::Timeout {
            during: "probe".into(),
        };
        let call = self.inner.probe(endpoint);
        through(&self.tap, Port::Members, "probe", None, error, call).await
    }

    fn user(&self) -> Option<String> {
        self.inner.user()
    }
}

impl<T: MemberControl> MemberControl for Faulty<T> {
    async fn call(
        &self,
        endpoint: &Endpoint,
        procedure: Procedure,
    ) -> Result<ProcedureReply, CallError> {
        let error = |failure| match failure {
            AwsFailure::LostReply => CallError::Unanswered(ProbeError::Timeout {
                during: "call".into(),
            }),
            _ => CallError::NotSent(ProbeError::Refused {
                message: "connection refused (chaos)".into(),
            }),
        };
        let procedure = self
            .unsafe_planner
            .map_or(procedure, |planner| planner.rewrite(procedure));
        let call = async {
            let instance = self.tap.instance_at(endpoint);
            let evidence = self.tap.evidence(instance, Done::Call(procedure)).await;
            let result = self.inner.call(endpoint, procedure).await;
            // Not sent, it never reached the member; answered, even with an error, or
            // unanswered, it may have run.
            if !matches!(result, Err(CallError::NotSent(_))) {
                self.tap.record(evidence);
            }
            result
        };
        let milestone = Some(CutPoint::AfterAction);
        through(&self.tap, Port::Members, "call", milestone, error, call).await
    }
}

fn journal_error(op: &'static str) -> impl Fn(AwsFailure) -> JournalError {
    move |failure| JournalError::Aws(aws_error(op, failure))
}

impl<T: LeaseStore> LeaseStore for Faulty<T> {
    async fn acquire_lease(
        &self,
        cluster: &str,
        owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<LeaseGrant, JournalError> {
        let call = self.inner.acquire_lease(cluster, owner, now, ttl);
        let error = journal_error("DynamoDB.acquire_lease");
        through(&self.tap, Port::Journal, "acquire_lease", None, error, call).await
    }

    async fn renew_lease(
        &self,
        lease: &Lease,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Lease, JournalError> {
        let call = self.inner.renew_lease(lease, now, ttl);
        let error = journal_error("DynamoDB.renew_lease");
        through(&self.tap, Port::Journal, "renew_lease", None, error, call).await
    }

    async fn release_lease(&self, lease: &Lease, now: DateTime<Utc>) -> Result<(), JournalError> {
        let call = self.inner.release_lease(lease, now);
        let error = journal_error("DynamoDB.release_lease");
        through(&self.tap, Port::Journal, "release_lease", None, error, call).await
    }
}

impl<T: Journal> Journal for Faulty<T> {
    async fn history(
        &self,
        cluster: &str,
        now: DateTime<Utc>,
        lookback: Duration,
    ) -> Result<History, JournalError> {
        let call = self.inner.history(cluster, now, lookback);
        let error = journal_error("DynamoDB.history");
        through(&self.tap, Port::Journal, "history", None, error, call).await
    }

    async fn record_intent(
        &self,
        lease: &Lease,
        action: &Action,
        now: DateTime<Utc>,
    ) -> Result<ActionId, JournalError> {
        let call = self.inner.record_intent(lease, action, now);
        let error = journal_error("DynamoDB.record_intent");
        let milestone = Some(CutPoint::AfterIntent);
        through(
            &self.tap,
            Port::Journal,
            "record_intent",
            milestone,
            error,
            call,
        )
        .await
    }

    async fn record_outcome(
        &self,
        lease: &Lease,
        id: &ActionId,
        outcome: Outcome,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<(), JournalError> {
        let call = self.inner.record_outcome(lease, id, outcome, detail, now);
        let error = journal_error("DynamoDB.record_outcome");
        let milestone = Some(CutPoint::AfterOutcome);
        through(
            &self.tap,
            Port::Journal,
            "record_outcome",
            milestone,
            error,
            call,
        )
        .await
    }

    async fn mark_sent(&self, lease: &Lease, id: &ActionId) -> Result<(), JournalError> {
        let call = self.inner.mark_sent(lease, id);
        let error = journal_error("DynamoDB.mark_sent");
        through(&self.tap, Port::Journal, "mark_sent", None, error, call).await
    }

    async fn sent(&self, cluster: &str, id: &ActionId) -> Result<bool, JournalError> {
        let call = self.inner.sent(cluster, id);
        let error = journal_error("DynamoDB.sent");
        through(&self.tap, Port::Journal, "sent", None, error, call).await
    }

    async fn save_memory(
        &self,
        lease: &Lease,
        memory: &Memory,
        before: &Memory,
    ) -> Result<(), JournalError> {
        let call = self.inner.save_memory(lease, memory, before);
        let error = journal_error("DynamoDB.save_memory");
        through(&self.tap, Port::Journal, "save_memory", None, error, call).await
    }

    async fn save_tracked(&self, lease: &Lease, tracked: &Tracked) -> Result<(), JournalError> {
        let call = self.inner.save_tracked(lease, tracked);
        let error = journal_error("DynamoDB.save_tracked");
        through(&self.tap, Port::Journal, "save_tracked", None, error, call).await
    }

    async fn record_dns_change(
        &self,
        lease: &Lease,
        change: &DnsChange,
    ) -> Result<(), JournalError> {
        let call = self.inner.record_dns_change(lease, change);
        let error = journal_error("DynamoDB.record_dns_change");
        through(
            &self.tap,
            Port::Journal,
            "record_dns_change",
            None,
            error,
            call,
        )
        .await
    }

    async fn dns_changes(&self, cluster: &str) -> Result<Vec<DnsChange>, JournalError> {
        let call = self.inner.dns_changes(cluster);
        let error = journal_error("DynamoDB.dns_changes");
        through(&self.tap, Port::Journal, "dns_changes", None, error, call).await
    }

    async fn alerting(&self, cluster: &str) -> Result<Alerting, JournalError> {
        let call = self.inner.alerting(cluster);
        let error = journal_error("DynamoDB.alerting");
        through(&self.tap, Port::Journal, "alerting", None, error, call).await
    }

    async fn save_alerting(&self, lease: &Lease, alerting: &Alerting) -> Result<(), JournalError> {
        let call = self.inner.save_alerting(lease, alerting);
        let error = journal_error("DynamoDB.save_alerting");
        through(&self.tap, Port::Journal, "save_alerting", None, error, call).await
    }

    async fn pause(
        &self,
        cluster: &str,
        instance: Option<&str>,
        pause: &Pause,
    ) -> Result<(), JournalError> {
        self.inner.pause(cluster, instance, pause).await
    }

    async fn resume(&self, cluster: &str, instance: Option<&str>) -> Result<(), JournalError> {
        self.inner.resume(cluster, instance).await
    }

    async fn approve(&self, cluster: &str, approval: &Approval) -> Result<(), JournalError> {
        self.inner.approve(cluster, approval).await
    }
}

impl<T: Notifier> Notifier for Faulty<T> {
    async fn publish(&self, message: &AlertMessage) -> Result<(), AlertError> {
        let error = |f| AlertError::Aws(aws_error("SNS.Publish", f));
        let call = self.inner.publish(message);
        through(&self.tap, Port::Notifier, "publish", None, error, call).await
    }
}

impl<T: TopologyBus> TopologyBus for Faulty<T> {
    async fn put(&self, events: &[TopologyEvent]) -> Result<(), TopologyError> {
        let error = |f| TopologyError::Aws(aws_error("EventBridge.PutEvents", f));
        let call = self.inner.put(events);
        through(&self.tap, Port::Bus, "put", None, error, call).await
    }
}
