//! One tick: for every cluster the trigger concerns, lease -> observe -> plan -> act -> verify
//! -> journal -> alert -> topology events -> metrics (`docs/design.md`, "One tick").
//!
//! A tick is an idempotent reconcile of the whole cluster, whatever the trigger said: events are
//! late, duplicated and out of order, so an RDS event only chooses which cluster to look at.
//! Running a tick twice is safe: the lease lets one tick act at a time, every action is
//! journaled before it is taken, a later tick verifies an action left `pending` instead of
//! repeating it, and the planner re-diagnoses fresh observations with cooldowns and budgets.
//! Clusters are ticked concurrently, [`CLUSTERS_AT_ONCE`] at a time; one slow or broken cluster
//! holds one of those places, never the others.
//!
//! [`observe`] reads a cluster through the ports, [`act`] takes one planned action and verifies
//! it; `cluster` runs one cluster's tick, `notify` its alerting end, `report` what it returns.
//! The keeper is generic over one [`Ports`] type, which names the adapters it runs with.

pub mod act;
mod claim;
mod cluster;
mod notify;
pub mod observe;
mod records;
mod report;
mod watch;

use std::time::Instant;

use futures_util::stream::{self, StreamExt};
use tracing::{info, instrument};

use crate::config::Config;
use crate::ports::Ports;
use crate::ports::rds::{ClusterInventory, RdsError};
use crate::trigger::Trigger;

pub use records::DnsReport;
pub use report::{
    ActionReport, AlertReport, ClusterOutcome, ClusterReport, ParkedReport, TickSummary,
};

/// How many clusters one tick works on at once. Each holds a connection per member (up to 9) and
/// a few AWS calls at a time; unbounded, a sweep of a hundred clusters opened hundreds of
/// connections and journal transactions at once, and every cluster's journal calls timed out
/// against a DynamoDB stand-in that answered ten clusters at once in a few seconds. Bounded, a
/// sweep's time grows linearly with its clusters and its memory does not grow with them
/// (docs/benchmarks.md).
pub const CLUSTERS_AT_ONCE: usize = 10;

/// The configuration and the adapters a tick runs with, built once per cold start; `P` names
/// the adapters' types ([`Ports`]).
#[derive(Debug)]
pub struct Keeper<P: Ports> {
    /// Validated configuration.
    pub config: Config,
    /// The RDS API.
    pub rds: P::Rds,
    /// Member probes and procedure calls.
    pub members: P::Members,
    /// Lease, action journal, conditions, incidents.
    pub journal: P::Journal,
    /// Alert delivery.
    pub notifier: P::Notifier,
    /// Topology events.
    pub bus: P::Bus,
    /// The DNS records applications connect through (used when `config.dns` is set).
    pub dns: P::Dns,
    /// Time.
    pub clock: P::Clock,
}

/// How one tick runs.
#[derive(Debug, Clone)]
pub struct TickOptions {
    /// Who takes the lease (the Lambda request id, or the CLI's host and process).
    pub owner: String,
    /// Observe and plan only: no lease, no action, no journal write, nothing published.
    pub dry_run: bool,
    /// Stop taking new actions when this instant is closer than one verification away.
    pub deadline: Option<Instant>,
    /// Print the tick's metrics as embedded metric format lines (Lambda) or not (CLI).
    pub emit_metrics: bool,
}

/// Why a tick could not even start.
#[derive(Debug, thiserror::Error)]
pub enum KeeperError {
    /// The inventory (DescribeDBInstances) could not be read.
    #[error("cannot read the inventory: {0}")]
    Inventory(#[from] RdsError),
    /// The trigger names an instance no kept cluster has.
    #[error("instance {0:?} is not in any cluster grkeeper keeps")]
    UnknownInstance(String),
    /// The trigger names a cluster grkeeper does not keep.
    #[error("cluster {0:?} is not kept by this deployment")]
    UnknownCluster(String),
}

impl KeeperError {
    /// Stable name for logs and the Lambda error type.
    pub fn kind(&self) -> &'static str {
        match self {
            KeeperError::Inventory(e) => e.kind(),
            KeeperError::UnknownInstance(_) => "unknown_instance",
            KeeperError::UnknownCluster(_) => "unknown_cluster",
        }
    }

    /// Whether the same trigger may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, KeeperError::Inventory(e) if e.is_retryable())
    }
}

impl<P: Ports> Keeper<P> {
    /// Runs one tick for the clusters `trigger` concerns.
    #[instrument(skip_all, fields(owner = %options.owner, dry_run = options.dry_run))]
    pub async fn tick(
        &self,
        trigger: &Trigger,
        options: &TickOptions,
    ) -> Result<TickSummary, KeeperError> {
        let inventory = observe::inventory(&self.rds, &self.config.inventory).await?;
        let (clusters, note) = select(trigger, inventory)?;
        if let Some(note) = &note {
            info!(%note, "nothing to tick");
        }
        // Collected first: a lazy `map` in the stream makes the tick's future not `Send` (a
        // closure over a borrowed cluster is not general enough). Unordered, so that a slow
        // cluster holds one place only: `buffered` would start no cluster past ten places while
        // the oldest was still running. The summary keeps the inventory's order.
        let ticks: Vec<_> =
            clusters
                .iter()
                .enumerate()
                .map(|(index, cluster)| async move {
                    (index, cluster::tick(self, cluster, options).await)
                })
                .collect();
        let mut reports: Vec<_> = stream::iter(ticks)
            .buffer_unordered(CLUSTERS_AT_ONCE)
            .collect()
            .await;
        reports.sort_unstable_by_key(|(index, _)| *index);
        let reports = reports.into_iter().map(|(_, report)| report).collect();
        Ok(TickSummary {
            trigger: trigger.kind().to_owned(),
            note,
            clusters: reports,
        })
    }
}

/// The clusters a trigger concerns, or a note saying why none.
fn select(
    trigger: &Trigger,
    inventory: Vec<ClusterInventory>,
) -> Result<(Vec<ClusterInventory>, Option<String>), KeeperError> {
    let named = |name: &str| -> Result<Vec<ClusterInventory>, KeeperError> {
        inventory
            .iter()
            .find(|c| c.cluster == name)
            .map(|c| vec![c.clone()])
            .ok_or_else(|| KeeperError::UnknownCluster(name.to_owned()))
    };
    let of_instance = |id: &str| -> Result<Vec<ClusterInventory>, KeeperError> {
        inventory
            .iter()
            .find(|c| c.instances.iter().any(|i| i == id))
            .map(|c| vec![c.clone()])
            .ok_or_else(|| KeeperError::UnknownInstance(id.to_owned()))
    };
    match trigger {
        Trigger::RdsInstanceEvent(event) => match of_instance(event.instance.as_str()) {
            Ok(clusters) => Ok((clusters, None)),
            // Any DB instance of the account may raise events; most are not ours.
            Err(e) => Ok((Vec::new(), Some(e.to_string()))),
        },
        Trigger::RdsClusterEvent(event) => Ok((
            Vec::new(),
            Some(format!(
                "ignored: DB cluster {} is an Aurora or Multi-AZ DB cluster; RDS Group \
                 Replication members are DB instances and raise instance events",
                event.db_cluster
            )),
        )),
        // A parameter group may serve any member: reconcile every cluster.
        Trigger::ParameterGroupEvent(_) => Ok((inventory, None)),
        Trigger::Schedule(schedule) => match &schedule.cluster {
            Some(name) => Ok((named(name.as_str())?, None)),
            None => Ok((inventory, None)),
        },
        Trigger::Manual(manual) => {
            let clusters = match (&manual.cluster, &manual.instance) {
                (Some(name), Some(id)) => {
                    let clusters = named(name.as_str())?;
                    if !clusters[0].instances.iter().any(|i| i == id.as_str()) {
                        return Err(KeeperError::UnknownInstance(format!(
                            "{id} (in cluster {name})"
                        )));
                    }
                    clusters
                }
                (Some(name), None) => named(name.as_str())?,
                (None, Some(id)) => of_instance(id.as_str())?,
                (None, None) => inventory,
            };
            Ok((clusters, None))
        }
    }
}

#[cfg(test)]
mod tests;
