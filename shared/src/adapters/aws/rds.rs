//! [`RdsControl`] and [`RdsReboot`] over aws-sdk-rds: `DescribeDBInstances` (paginated),
//! `RebootDBInstance` and `AddTagsToResource` (the claim tag).

use std::collections::BTreeMap;

use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
use aws_sdk_rds::types::{DbInstance, Filter, Tag};
use tracing::instrument;

use crate::model::{InstanceStatus, Observed, RdsInstance};
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
            for db in self.describe_all(filter).await? {
                if let Some(id) = db.db_instance_identifier() {
                    found.insert(id.to_owned(), record(&db));
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

impl RdsReboot for AwsRds {
    #[instrument(skip(self))]
    async fn claim(&self, id: &str, deployment: &str) -> Result<(), RdsError> {
        let described = self
            .describe_one(id)
            .await
            .map_err(|e| reboot_error(id, e))?;
        let arn = described
            .db_instances()
            .first()
            .and_then(DbInstance::db_instance_arn)
            .ok_or_else(|| RdsError::NotFound {
                instance: id.to_owned(),
            })?;
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
