//! Observation of one cluster: RDS control plane and every member's data plane, concurrently,
//! with hard timeouts, into the [`Instance`] list a snapshot holds.
//!
//! Every instance of the inventory is probed, whatever its RDS status: a stopped or rebooting
//! instance fails fast (refused) or within the connect timeout, and what MySQL answers is the
//! truth when RDS's status lags. An instance without an address (RDS reports no endpoint and no
//! override is set) is recorded as not probed.

use futures_util::future::join_all;
use tracing::instrument;

use crate::config::Inventory;
use crate::model::{EndpointOverrides, Instance, Observed, ProbeError};
use crate::ports::member_probe::MemberProbe;
use crate::ports::rds::{ClusterInventory, RdsControl, RdsError};

/// The clusters to keep: the explicit list, or the tagged instances (only the clusters named in
/// `GRKEEPER_CLUSTERS`, when set; a named cluster without instances is listed empty, so a typo
/// shows up instead of silently watching nothing).
pub async fn inventory<R: RdsControl>(
    rds: &R,
    source: &Inventory,
) -> Result<Vec<ClusterInventory>, RdsError> {
    match source {
        Inventory::Listed(clusters) => Ok(clusters
            .iter()
            .map(|(cluster, instances)| ClusterInventory {
                cluster: cluster.clone(),
                instances: instances.clone(),
            })
            .collect()),
        Inventory::Tagged { tag_key, clusters } => {
            let found = rds.clusters_by_tag(tag_key).await?;
            let Some(wanted) = clusters else {
                return Ok(found);
            };
            Ok(wanted
                .iter()
                .map(|name| {
                    found
                        .iter()
                        .find(|c| &c.cluster == name)
                        .cloned()
                        .unwrap_or_else(|| ClusterInventory {
                            cluster: name.clone(),
                            instances: Vec::new(),
                        })
                })
                .collect())
        }
    }
}

/// Describes every instance of `cluster` and probes every member concurrently: the slowest
/// member (at most its probe deadline: `ConnectSettings::probe_deadline` for the MySQL adapter)
/// bounds the observation.
#[instrument(skip(rds, members, cluster, overrides), fields(cluster = %cluster.cluster))]
pub async fn observe_cluster<R: RdsControl, M: MemberProbe>(
    rds: &R,
    members: &M,
    cluster: &ClusterInventory,
    overrides: &EndpointOverrides,
) -> Vec<Instance> {
    let described = match rds.describe(&cluster.instances).await {
        Ok(described) => described,
        Err(error) => cluster
            .instances
            .iter()
            .map(|id| (id.clone(), Observed::Failed(error.to_string())))
            .collect(),
    };
    join_all(described.into_iter().map(|(id, rds)| async move {
        let mysql = match overrides.resolve(&id, rds.seen()) {
            Some(endpoint) => match members.probe(&endpoint).await {
                Ok(report) => Observed::Seen(report),
                Err(error) => Observed::Failed(error),
            },
            None => Observed::Failed(ProbeError::Other {
                message: "not probed: no endpoint known (RDS reports none) and no override"
                    .to_owned(),
            }),
        };
        Instance { id, rds, mysql }
    }))
    .await
}

#[cfg(test)]
mod tests;
