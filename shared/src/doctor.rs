//! `grkeeper doctor`: a read-only check of a deployment against each of its clusters, one
//! [`Check`] per line with pass / warn / fail and the fix (`docs/deploy.md`, "Verify").
//!
//! It gathers what a tick would use, with the same configuration and adapters (secret, TLS, the
//! members' logins, the inventory), plus what only a person setting up needs to see: the
//! account's `SHOW GRANTS` (never calling the procedures), the settings each member reports
//! (`@@...`), the DB parameter groups (`DescribeDBParameters`), the claim tags, and the
//! configuration the functions published. The judgements are pure (`checks`).

mod checks;

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use serde::Serialize;

use crate::adapters::aws::dynamo::DynamoJournal;
use crate::adapters::aws::rds::AwsRds;
use crate::adapters::aws::secrets_manager::SecretsManagerSource;
use crate::adapters::mysql::MysqlMembers;
use crate::config::{CaSource, Config, Tls};
use crate::keeper::observe;
use crate::model::{Endpoint, Observed, ProbeError};
use crate::plan::Version;
use crate::ports::journal::DeploymentStore;
use crate::ports::rds::RdsControl;
use crate::ports::reboot::CLAIM_TAG;
use crate::ports::secrets::SecretSource;
use crate::wiring::connect_settings;

/// A check's verdict; ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// As grkeeper needs it.
    Pass,
    /// grkeeper works, with a limit worth fixing.
    Warn,
    /// grkeeper cannot do its job until this is fixed.
    Fail,
}

impl Status {
    /// `PASS`, `WARN`, `FAIL`.
    pub fn word(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The verdict.
    pub status: Status,
    /// What was checked (`secret`, `grants`, `start_on_boot`, ...).
    pub check: &'static str,
    /// Of what: the deployment, a cluster or an instance.
    pub subject: String,
    /// What was found.
    pub message: String,
    /// What to do, when anything is to be done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn new(
        status: Status,
        check: &'static str,
        subject: &str,
        message: impl Into<String>,
        fix: Option<String>,
    ) -> Check {
        Check {
            status,
            check,
            subject: subject.to_owned(),
            message: message.into(),
            fix,
        }
    }

    fn pass(check: &'static str, subject: &str, message: impl Into<String>) -> Check {
        Check::new(Status::Pass, check, subject, message, None)
    }
}

/// Every check, in the order they were made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The checks.
    pub checks: Vec<Check>,
}

impl Report {
    /// The worst verdict (pass when there is no check).
    pub fn worst(&self) -> Status {
        self.checks
            .iter()
            .map(|c| c.status)
            .max()
            .unwrap_or(Status::Pass)
    }
}

/// The parameters a member's DB parameter group must set (not visible as `@@` variables).
const PARAMETERS: [&str; 2] = ["rds.group_replication_enabled", "rds.custom_dns_resolution"];

/// Why the doctor could not check what it was asked to.
#[derive(Debug, thiserror::Error)]
pub enum DoctorError {
    /// `--cluster` names a cluster the deployment does not keep.
    #[error("cluster {0:?} is not kept by this deployment (see the inventory line)")]
    UnknownCluster(String),
}

impl DoctorError {
    /// Stable kind for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            DoctorError::UnknownCluster(_) => "unknown_cluster",
        }
    }
}

/// Checks the deployment `config` describes, through `sdk` (the operator's credentials), every
/// cluster or only `cluster`. Read-only.
pub async fn run(
    config: &Config,
    sdk: &SdkConfig,
    cluster: Option<&str>,
) -> Result<Report, DoctorError> {
    let mut checks = Vec::new();
    let deployment = config.deployment.as_str();
    let journal = DynamoJournal::new(aws_sdk_dynamodb::Client::new(sdk), config.table.clone());
    let published = match journal.published().await {
        Ok(Some(published)) => {
            let differences = published.effective.differences(&config.effective());
            checks.push(if differences.is_empty() {
                Check::pass(
                    "published_config",
                    deployment,
                    format!(
                        "the functions run with this configuration (published by {} at {})",
                        published.by, published.at
                    ),
                )
            } else {
                Check::new(
                    Status::Fail,
                    "published_config",
                    deployment,
                    format!(
                        "the functions run with another configuration: {}",
                        differences
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    Some(
                        "set the same GRKEEPER_* variables as the stack here (or deploy the \
                         stack with these): the CLI refuses to act until they agree"
                            .into(),
                    ),
                )
            });
            Some(published)
        }
        Ok(None) => {
            checks.push(Check::new(
                Status::Warn,
                "published_config",
                deployment,
                format!(
                    "no function has published its configuration in table {}",
                    config.table
                ),
                Some(
                    "invoke the sweep once (docs/deploy.md) or wait a minute; if it stays \
                     missing, read the sweep's log for the cold start's error"
                        .into(),
                ),
            ));
            None
        }
        Err(e) => {
            checks.push(Check::new(
                Status::Fail,
                "published_config",
                deployment,
                format!("cannot read table {}: {e}", config.table),
                Some(
                    "check GRKEEPER_TABLE and that your credentials may dynamodb:GetItem on it"
                        .into(),
                ),
            ));
            None
        }
    };

    checks.push(match &config.tls {
        Tls::Verify(bundle) => Check::pass(
            "tls",
            deployment,
            format!(
                "TLS required and verified against {} ({} certificates)",
                match bundle.source() {
                    CaSource::Bundled => "the bundled RDS global bundle".to_owned(),
                    CaSource::File(path) => path.display().to_string(),
                },
                bundle.certificates()
            ),
        ),
        Tls::Disabled => Check::new(
            Status::Warn,
            "tls",
            deployment,
            "GRKEEPER_TLS=disabled: the members' certificates are not checked (local runs only)",
            Some("unset GRKEEPER_TLS (a deployment always verifies)".into()),
        ),
    });

    let secrets = SecretsManagerSource::new(
        aws_sdk_secretsmanager::Client::new(sdk),
        config.secret_arn.clone(),
    );
    let credentials = match secrets.credentials().await {
        Ok(credentials) => {
            checks.push(Check::pass(
                "secret",
                deployment,
                format!(
                    "user {} read from {}",
                    credentials.username, config.secret_arn
                ),
            ));
            Some(credentials)
        }
        Err(e) => {
            checks.push(Check::new(
                Status::Fail,
                "secret",
                deployment,
                e.to_string(),
                Some(
                    "GRKEEPER_SECRET_ARN must name a secret {\"username\": ..., \"password\": ...} \
                     your credentials (and the functions' role) may read"
                        .into(),
                ),
            ));
            None
        }
    };

    let rds = AwsRds::new(aws_sdk_rds::Client::new(sdk));
    let inventory = match observe::inventory(&rds, &config.inventory).await {
        Ok(inventory) => {
            checks.push(Check::pass(
                "inventory",
                deployment,
                format!(
                    "DescribeDBInstances: {}",
                    inventory
                        .iter()
                        .map(|c| format!("{} ({})", c.cluster, c.instances.join(", ")))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            ));
            inventory
        }
        Err(e) => {
            checks.push(Check::new(
                Status::Fail,
                "inventory",
                deployment,
                e.to_string(),
                Some(
                    "your credentials (and the functions' role) need rds:DescribeDBInstances"
                        .into(),
                ),
            ));
            Vec::new()
        }
    };
    if let Some(name) = cluster
        && !inventory.is_empty()
        && !inventory.iter().any(|c| c.cluster == name)
    {
        return Err(DoctorError::UnknownCluster(name.to_owned()));
    }
    let members = credentials.map(|c| MysqlMembers::new(connect_settings(config), c));
    for kept in inventory
        .iter()
        .filter(|c| cluster.is_none_or(|name| c.cluster == name))
    {
        let name = kept.cluster.as_str();
        if kept.instances.is_empty() {
            checks.push(Check::new(
                Status::Fail,
                "members",
                name,
                "no DB instance belongs to the cluster",
                Some(format!(
                    "tag each member {}={name}, or list it in GRKEEPER_INSTANCES",
                    cluster_tag(config)
                )),
            ));
            continue;
        }
        checks.push(checks::event_instances(
            name,
            &kept.instances,
            published.as_ref(),
        ));
        let described = match rds.describe(&kept.instances).await {
            Ok(described) => described,
            Err(e) => {
                checks.push(Check::new(
                    Status::Fail,
                    "members",
                    name,
                    e.to_string(),
                    Some("your credentials need rds:DescribeDBInstances".into()),
                ));
                continue;
            }
        };
        let mut tags = BTreeMap::new();
        let mut endpoints = BTreeMap::new();
        let mut reports = BTreeMap::new();
        for (id, reading) in &described {
            let Some(record) = reading.seen() else {
                checks.push(Check::new(
                    Status::Fail,
                    "rds",
                    id,
                    format!("{reading:?}"),
                    Some("check the instance identifier".into()),
                ));
                continue;
            };
            tags.insert(id.clone(), record.tags.get(CLAIM_TAG).cloned());
            if !record.status.is_available() {
                checks.push(Check::new(
                    Status::Warn,
                    "rds",
                    id,
                    format!("RDS status {}", record.status.0),
                    Some("checked again once it is available".into()),
                ));
            }
            if let Some(Observed::Failed(error)) = &record.pending_maintenance {
                checks.push(Check::new(
                    Status::Warn,
                    "maintenance",
                    id,
                    format!("cannot read the maintenance RDS holds for it: {error}"),
                    Some(
                        "your credentials (and the functions' role) need \
                         rds:DescribePendingMaintenanceActions"
                            .into(),
                    ),
                ));
            }
            match rds.parameter_groups(id, &PARAMETERS).await {
                Ok(groups) => checks.extend(checks::parameter_groups(id, &groups)),
                Err(e) => checks.push(Check::new(
                    Status::Warn,
                    "parameter_group",
                    id,
                    format!("cannot read its parameter groups: {e}"),
                    Some("your credentials need rds:DescribeDBParameters".into()),
                )),
            }
            let Some(rds_endpoint) = record.endpoint.clone() else {
                continue;
            };
            endpoints.insert(id.clone(), rds_endpoint);
            let (Some(members), Some(target)) = (
                &members,
                config.endpoint_overrides.resolve(id, Some(record)),
            ) else {
                continue;
            };
            match members.account(&target).await {
                Ok(report) => {
                    checks.push(Check::pass(
                        "login",
                        id,
                        format!("logged in at {target}{}", tls_words(config)),
                    ));
                    let user = members.username();
                    let version = record.engine_version.as_deref().and_then(Version::parse);
                    checks.push(checks::grants(id, &user, &report.grants, version));
                    reports.insert(id.clone(), report);
                }
                Err(e) => checks.push(login_failed(id, &target, &e)),
            }
        }
        checks.push(checks::claim(name, &config.deployment, &tags));
        if !reports.is_empty() {
            checks.extend(checks::settings(
                name,
                &reports,
                &endpoints,
                config.policy_for(name).min_binlog_retention_hours,
            ));
        }
    }
    Ok(Report { checks })
}

fn cluster_tag(config: &Config) -> String {
    match &config.inventory {
        crate::config::Inventory::Tagged { tag_key, .. } => tag_key.clone(),
        crate::config::Inventory::Listed(_) => "grkeeper:cluster".to_owned(),
    }
}

fn tls_words(config: &Config) -> &'static str {
    match config.tls {
        Tls::Verify(_) => " over verified TLS",
        Tls::Disabled => " without TLS",
    }
}

/// Why the account could not log in, and what to do about it.
fn login_failed(id: &str, target: &Endpoint, error: &ProbeError) -> Check {
    let (status, fix) = match error {
        ProbeError::Mysql { code: 1045, .. } => (
            Status::Fail,
            "the secret's username and password must match a MySQL account: CREATE USER as in \
             docs/deploy.md, or put the account's password in the secret",
        ),
        ProbeError::Mysql { code: 3032, .. } => (
            Status::Warn,
            "the member is in offline mode (it left the group): grkeeper reboots it; run doctor \
             again once it is back",
        ),
        ProbeError::Refused { .. } | ProbeError::Timeout { .. } => (
            Status::Fail,
            "the members' security group must allow 3306 from the functions' security group (and \
             from where this runs), over a route between the subnets",
        ),
        _ => (
            Status::Fail,
            "a TLS error means the member's certificate authority is not in the bundle \
             (GRKEEPER_TLS_CA_FILE); otherwise see the message",
        ),
    };
    Check::new(
        status,
        "login",
        id,
        format!("cannot log in at {target}: {error}"),
        Some(fix.to_owned()),
    )
}
