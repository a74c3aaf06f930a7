//! [`RdsControl`] and [`RdsReboot`] over aws-sdk-rds: `DescribeDBInstances` with each
//! instance's `DescribePendingMaintenanceActions` (both paginated), `RebootDBInstance`,
//! `ApplyPendingMaintenanceAction` and `AddTagsToResource` (the claim tag).

use std::collections::BTreeMap;

use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
use aws_sdk_rds::types::{DbInstance, Filter, PendingMaintenanceAction, Tag};
use chrono::{DateTime, Utc};
use tracing::instrument;

use crate::model::{InstanceStatus, Observed, PendingMaintenance, RdsInstance};
use crate::ports::aws::AwsError;
use crate::ports::rds::{ClusterInventory, Described, RdsControl, RdsError, group, not_found};
use crate::ports::reboot::{CLAIM_TAG, RdsReboot};

/// RDS through the AWS SDK.
#[derive(Debug, Clone)]
pub struct AwsRds {
    client: aws_sdk_rds::Client,
}

/// `DescribeDBInstances` filters take at most 100 values.
const FILTER_VALUES_MAX: usize = 100;

impl AwsRds {
    /// Wraps a client built once per cold start.
    pub fn new(client: aws_sdk_rds::Client) -> Self {
        AwsRds { client }
    }

    async fn describe_all(&self, filter: Filter) -> Result<Vec<DbInstance>, RdsError> {
        let mut pages = self
            .client
            .describe_db_instances()
            .filters(filter)
            .into_paginator()
            .send();
        let mut instances = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AwsError::from_sdk("RDS.DescribeDBInstances", e))?;
            instances.extend(page.db_instances.unwrap_or_default());
        }
        Ok(instances)
    }

    /// `DescribePendingMaintenanceActions` for the instances `ids`, by instance id (an instance
    /// with nothing pending is absent).
    async fn pending_maintenance(
        &self,
        ids: &[String],
    ) -> Result<BTreeMap<String, Vec<PendingMaintenance>>, AwsError> {
        let filter = Filter::builder()
            .name("db-instance-id")
            .set_values(Some(ids.to_vec()))
            .build();
        let mut pages = self
            .client
            .describe_pending_maintenance_actions()
            .filters(filter)
            .into_paginator()
            .send();
        let mut pending: BTreeMap<String, Vec<PendingMaintenance>> = BTreeMap::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| AwsError::from_sdk("RDS.DescribePendingMaintenanceActions", e))?;
            for resource in page.pending_maintenance_actions() {
                // The resource is the instance's ARN, `arn:aws:rds:<region>:<account>:db:<id>`.
                let Some(id) = resource
                    .resource_identifier()
                    .and_then(|arn| arn.rsplit_once(":db:"))
                    .map(|(_, id)| id)
                else {
                    continue;
                };
                pending.entry(id.to_owned()).or_default().extend(
                    resource
                        .pending_maintenance_action_details()
                        .iter()
                        .map(pending_action),
                );
            }
        }
        Ok(pending)
    }
}

/// One pending action as the snapshot keeps it.
fn pending_action(action: &PendingMaintenanceAction) -> PendingMaintenance {
    let date = |d: Option<&aws_sdk_rds::primitives::DateTime>| {
        d.and_then(|d| DateTime::<Utc>::from_timestamp(d.secs(), d.subsec_nanos()))
    };
    PendingMaintenance {
        action: action.action().unwrap_or("unknown").to_owned(),
        description: action.description().unwrap_or("").to_owned(),
        auto_applied_after: date(action.auto_applied_after_date()),
        forced_apply: date(action.forced_apply_date()),
        current_apply: date(action.current_apply_date()),
        opt_in_status: action.opt_in_status().map(str::to_owned),
    }
}

/// One DB parameter group of an instance, as `grkeeper doctor` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterGroup {
    /// Its name.
    pub name: String,
    /// `in-sync`, `pending-reboot`, `applying`.
    pub apply_status: String,
    /// The values asked for that the group sets (user or engine default), by parameter name.
    pub values: BTreeMap<String, String>,
}

impl AwsRds {
    /// `DescribeDBInstances` of the one instance `id`.
    async fn describe_one(&self, id: &str) -> Result<DescribeDbInstancesOutput, AwsError> {
        self.client
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("RDS.DescribeDBInstances", e))
    }

    /// The DB parameter groups of instance `id` with the values of `names` in each
    /// (`DescribeDBInstances`, `DescribeDBParameters`). Read-only.
    pub async fn parameter_groups(
        &self,
        id: &str,
        names: &[&str],
    ) -> Result<Vec<ParameterGroup>, RdsError> {
        let described = self.describe_one(id).await?;
        let mut groups = Vec::new();
        for db in described.db_instances() {
            for group in db.db_parameter_groups() {
                let Some(name) = group.db_parameter_group_name() else {
                    continue;
                };
                let mut pages = self
                    .client
                    .describe_db_parameters()
                    .db_parameter_group_name(name)
                    .into_paginator()
                    .send();
                let mut values = BTreeMap::new();
                while let Some(page) = pages.next().await {
                    let page =
                        page.map_err(|e| AwsError::from_sdk("RDS.DescribeDBParameters", e))?;
                    for parameter in page.parameters() {
                        if let (Some(key), Some(value)) =
                            (parameter.parameter_name(), parameter.parameter_value())
                            && names.contains(&key)
                        {
                            values.insert(key.to_owned(), value.to_owned());
                        }
                    }
                }
                groups.push(ParameterGroup {
                    name: name.to_owned(),
                    apply_status: group.parameter_apply_status().unwrap_or("").to_owned(),
                    values,
                });
            }
        }
        Ok(groups)
    }
}

impl RdsControl for AwsRds {
    #[instrument(skip(self))]
    async fn clusters_by_tag(&self, tag_key: &str) -> Result<Vec<ClusterInventory>, RdsError> {
        // RDS has no tag filter on DescribeDBInstances: filter on the client side.
        let filter = Filter::builder().name("engine").values("mysql").build();
        let instances = self.describe_all(filter).await?;
        Ok(group(instances.iter().filter_map(|db| {
            let cluster = db.tag_list().iter().find(|t| t.key() == Some(tag_key))?;
            Some((
                cluster.value()?.to_owned(),
                db.db_instance_identifier()?.to_owned(),
            ))
        })))
    }

    #[instrument(skip(self))]
    async fn describe(&self, ids: &[String]) -> Result<Described, RdsError> {
        let mut found = BTreeMap::new();
        for chunk in ids.chunks(FILTER_VALUES_MAX) {
            let filter = Filter::builder()
                .name("db-instance-id")
                .set_values(Some(chunk.to_vec()))
                .build();
            // Pending maintenance is read beside the instances: a failure to read it (a missing
            // permission) is told per instance and does not hide what RDS said of them.
            let pending = self
                .pending_maintenance(chunk)
                .await
                .map_err(|e| e.to_string());
            for db in self.describe_all(filter).await? {
                if let Some(id) = db.db_instance_identifier() {
                    let mut rds = record(&db);
                    rds.pending_maintenance = Some(match &pending {
                        Ok(all) => Observed::Seen(all.get(id).cloned().unwrap_or_default()),
                        Err(error) => Observed::Failed(error.clone()),
                    });
                    found.insert(id.to_owned(), rds);
                }
            }
        }
        Ok(ids
            .iter()
            .map(|id| {
                let reading = found
                    .get(id)
                    .map_or_else(|| not_found(id), |rds| Observed::Seen(rds.clone()));
                (id.clone(), reading)
            })
            .collect())
    }
}

impl AwsRds {
    /// The instance's ARN, which the calls on a resource name it by.
    async fn arn(&self, id: &str) -> Result<String, RdsError> {
        let described = self
            .describe_one(id)
            .await
            .map_err(|e| reboot_error(id, e))?;
        described
            .db_instances()
            .first()
            .and_then(DbInstance::db_instance_arn)
            .map(str::to_owned)
            .ok_or_else(|| RdsError::NotFound {
                instance: id.to_owned(),
            })
    }
}

impl RdsReboot for AwsRds {
    #[instrument(skip(self))]
    async fn claim(&self, id: &str, deployment: &str) -> Result<(), RdsError> {
        let arn = self.arn(id).await?;
        self.client
            .add_tags_to_resource()
            .resource_name(arn)
            .tags(Tag::builder().key(CLAIM_TAG).value(deployment).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| reboot_error(id, AwsError::from_sdk("RDS.AddTagsToResource", e)))
    }

    #[instrument(skip(self))]
    async fn reboot(&self, id: &str) -> Result<(), RdsError> {
        self.client
            .reboot_db_instance()
            .db_instance_identifier(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| reboot_error(id, AwsError::from_sdk("RDS.RebootDBInstance", e)))
    }

    #[instrument(skip(self))]
    async fn apply_maintenance(&self, id: &str, action: &str) -> Result<(), RdsError> {
        let arn = self.arn(id).await?;
        self.client
            .apply_pending_maintenance_action()
            .resource_identifier(arn)
            .apply_action(action)
            .opt_in_type("immediate")
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                reboot_error(
                    id,
                    AwsError::from_sdk("RDS.ApplyPendingMaintenanceAction", e),
                )
            })
    }
}

/// RebootDBInstance's refusals as typed errors: RDS reboots only `available` instances.
fn reboot_error(id: &str, error: AwsError) -> RdsError {
    match error.code.as_deref() {
        Some("InvalidDBInstanceState") => RdsError::InvalidState {
            instance: id.to_owned(),
            message: error.detail,
        },
        Some("DBInstanceNotFound") => RdsError::NotFound {
            instance: id.to_owned(),
        },
        _ => RdsError::Aws(error),
    }
}

fn record(db: &DbInstance) -> RdsInstance {
    let endpoint = db.endpoint();
    RdsInstance {
        status: InstanceStatus(db.db_instance_status().unwrap_or("unknown").to_owned()),
        endpoint: endpoint.and_then(|e| e.address()).map(str::to_owned),
        port: endpoint
            .and_then(|e| e.port())
            .and_then(|p| u16::try_from(p).ok()),
        engine_version: db.engine_version().map(str::to_owned),
        // With several groups, the one waiting for a reboot is the one that matters.
        parameter_apply_status: db
            .db_parameter_groups()
            .iter()
            .filter_map(|g| g.parameter_apply_status())
            .max_by_key(|status| *status != "in-sync")
            .map(str::to_owned),
        maintenance_window: db.preferred_maintenance_window().map(str::to_owned),
        auto_minor_version_upgrade: db.auto_minor_version_upgrade(),
        pending_maintenance: None,
        tags: db
            .tag_list()
            .iter()
            .filter_map(|t| Some((t.key()?.to_owned(), t.value().unwrap_or("").to_owned())))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(code: &str) -> AwsError {
        AwsError::entry_failure(
            "RDS.RebootDBInstance",
            Some(code),
            format!("{code} message"),
        )
    }

    #[test]
    fn a_reboot_refused_for_the_instance_state_is_a_typed_error() {
        let error = reboot_error("db1", answered("InvalidDBInstanceState"));
        assert_eq!(error.kind(), "rds_invalid_state");
        assert!(!error.is_retryable());
        assert_eq!(
            error.to_string(),
            "instance db1 cannot do that now: InvalidDBInstanceState message"
        );
        assert_eq!(
            reboot_error("db1", answered("DBInstanceNotFound")).kind(),
            "rds_not_found"
        );
    }

    #[test]
    fn a_throttled_reboot_is_retryable() {
        let error = reboot_error("db1", answered("Throttling"));
        assert!(error.is_throttled() && error.is_retryable());
    }
}
