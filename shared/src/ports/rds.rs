//! Reading the RDS control plane: find the clusters' instances by tag, describe them
//! ([`RdsControl`]). The write side, a reboot, is its own port
//! ([`RdsReboot`](crate::ports::reboot::RdsReboot)). Both speak domain types; [`MemoryRds`] is an
//! in-memory implementation of both for tests (the aws-sdk-rds one is `adapters::aws::rds`).

mod memory;

use std::collections::BTreeMap;
use std::future::Future;

use crate::model::{Observed, RdsInstance};
use crate::ports::aws::{AwsError, FailureClass};

pub use memory::MemoryRds;

/// One cluster of the inventory: its name and its instances, in inventory order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInventory {
    /// Cluster name (the tag value, or the `GRKEEPER_INSTANCES` key).
    pub cluster: String,
    /// DB instance identifiers.
    pub instances: Vec<String>,
}

/// Why an RDS API call failed (either side).
#[derive(Debug, thiserror::Error)]
pub enum RdsError {
    /// The instance is in a state that does not allow the action (`InvalidDBInstanceState`:
    /// RDS reboots only `available` instances).
    #[error("instance {instance} cannot do that now: {message}")]
    InvalidState {
        /// The instance.
        instance: String,
        /// AWS error message.
        message: String,
    },
    /// No such DB instance.
    #[error("instance {instance} not found")]
    NotFound {
        /// The instance.
        instance: String,
    },
    /// Any other failure, classified (throttled, unreachable, denied, ...).
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl RdsError {
    /// Stable kind for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            RdsError::InvalidState { .. } => "rds_invalid_state",
            RdsError::NotFound { .. } => "rds_not_found",
            RdsError::Aws(error) => error.kind(),
        }
    }

    /// Worth retrying later as is (throttling, network, AWS-side failures).
    pub fn is_retryable(&self) -> bool {
        matches!(self, RdsError::Aws(error) if error.is_retryable())
    }

    /// RDS throttled the call.
    pub fn is_throttled(&self) -> bool {
        matches!(self, RdsError::Aws(error) if error.class == FailureClass::Throttled)
    }
}

/// `DescribeDBInstances` for each requested id, in the order asked.
pub type Described = Vec<(String, Observed<RdsInstance, String>)>;

/// The RDS API calls grkeeper reads with.
pub trait RdsControl: Send + Sync {
    /// Every MySQL DB instance carrying `tag_key`, grouped into clusters by the tag's value
    /// (clusters by name, instances by identifier).
    fn clusters_by_tag(
        &self,
        tag_key: &str,
    ) -> impl Future<Output = Result<Vec<ClusterInventory>, RdsError>> + Send;

    /// Each instance's control-plane record; an unknown id is `Failed` with the reason.
    fn describe(&self, ids: &[String]) -> impl Future<Output = Result<Described, RdsError>> + Send;
}

/// Groups `(cluster, id)` pairs into sorted clusters of sorted ids.
pub(crate) fn group(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<ClusterInventory> {
    let mut clusters: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (cluster, id) in pairs {
        clusters.entry(cluster).or_default().push(id);
    }
    clusters
        .into_iter()
        .map(|(cluster, mut instances)| {
            instances.sort();
            instances.dedup();
            ClusterInventory { cluster, instances }
        })
        .collect()
}

/// The `Failed` reading for an id `DescribeDBInstances` did not return.
pub(crate) fn not_found(id: &str) -> Observed<RdsInstance, String> {
    Observed::Failed(format!(
        "DescribeDBInstances does not know DB instance {id:?}"
    ))
}
