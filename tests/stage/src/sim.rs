//! grkeeper wired to the simulator (`gr-sim`): the pieces the demo and the
//! end-to-end tests both need to run the real adapters against a simulated cluster.
//!
//! - [`SimRds`]: an [`RdsControl`] and [`RdsReboot`] over the simulator's RDS control plane
//!   (statuses, parameter apply status, `RebootDBInstance` restarting the member,
//!   `ApplyPendingMaintenanceAction` applying what the simulator's RDS holds);
//! - [`endpoint_overrides`]: each instance's SQL traffic to its member's loopback port, so
//!   [`MysqlMembers`](grkeeper::adapters::mysql::MysqlMembers) reaches it over TCP
//!   ([`endpoint_overrides_env`]: the same as `GRKEEPER_ENDPOINT_OVERRIDES` for a process);
//! - [`run_statement`]: one statement on a member as a person types it (the demo's SQL, the
//!   tests' setup and faults), bounded in time.
//!
//! The simulator knows nothing of grkeeper (it is written from the Group Replication facts in
//! `docs/group-replication.md`, so the two check each other); this module is the only place that
//! knows both.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use gr_sim::{Cluster, SimError};
use grkeeper::config::DEFAULT_DEPLOYMENT;
use grkeeper::model::{Endpoint, EndpointOverrides, InstanceStatus, Observed, RdsInstance};
use grkeeper::ports::aws::AwsError;
use grkeeper::ports::rds::{ClusterInventory, Described, RdsControl, RdsError};
use grkeeper::ports::reboot::{CLAIM_TAG, RdsReboot};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, Row};

/// The port RDS reports for every instance (the members listen elsewhere on loopback; the
/// endpoint overrides send traffic there).
const RDS_PORT: u16 = 3306;

/// `RdsControl` over the simulator's RDS control plane: every simulated member is one instance
/// of one cluster, tagged `grkeeper:cluster=<name>`.
#[derive(Debug, Clone)]
pub struct SimRds {
    sim: Arc<Cluster>,
    cluster: String,
    /// Instance -> the deployment that claimed it (the claim tag, which the simulator's RDS
    /// control plane does not keep).
    claims: Arc<Mutex<BTreeMap<String, String>>>,
}

impl SimRds {
    /// The instances of `sim`, as the cluster named `cluster`, kept by the default deployment
    /// already (so a tick acts from the start).
    pub fn new(sim: Arc<Cluster>, cluster: impl Into<String>) -> Self {
        SimRds::kept_by(sim, cluster, DEFAULT_DEPLOYMENT)
    }

    /// The same, kept by the deployment named `deployment`.
    pub fn kept_by(sim: Arc<Cluster>, cluster: impl Into<String>, deployment: &str) -> Self {
        let claims = sim
            .names()
            .iter()
            .map(|name| (name.clone(), deployment.to_owned()))
            .collect();
        SimRds {
            sim,
            cluster: cluster.into(),
            claims: Arc::new(Mutex::new(claims)),
        }
    }

    /// The cluster's inventory: every simulated member, in configuration order.
    pub fn inventory(&self) -> ClusterInventory {
        ClusterInventory {
            cluster: self.cluster.clone(),
            instances: self.sim.names().to_vec(),
        }
    }
}

impl RdsControl for SimRds {
    async fn clusters_by_tag(&self, _tag_key: &str) -> Result<Vec<ClusterInventory>, RdsError> {
        Ok(vec![self.inventory()])
    }

    async fn describe(&self, ids: &[String]) -> Result<Described, RdsError> {
        let described = self.sim.rds().describe();
        let claims = self
            .claims
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        Ok(ids
            .iter()
            .map(|id| {
                let reading = match described.iter().find(|info| &info.id == id) {
                    Some(info) => Observed::Seen(RdsInstance {
                        status: InstanceStatus(info.status.as_str().to_owned()),
                        endpoint: Some(info.endpoint.clone()),
                        port: Some(RDS_PORT),
                        engine_version: Some(info.engine_version.clone()),
                        parameter_apply_status: Some(info.parameter_apply_status.clone()),
                        maintenance_window: None,
                        auto_minor_version_upgrade: None,
                        pending_maintenance: None,
                        tags: BTreeMap::from([("grkeeper:cluster".into(), self.cluster.clone())])
                            .into_iter()
                            .chain(claims.get(id).map(|by| (CLAIM_TAG.to_owned(), by.clone())))
                            .collect(),
                    }),
                    None => Observed::Failed(format!("no instance {id}")),
                };
                (id.clone(), reading)
            })
            .collect())
    }
}

impl RdsReboot for SimRds {
    async fn claim(&self, id: &str, deployment: &str) -> Result<(), RdsError> {
        self.claims
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned(), deployment.to_owned());
        Ok(())
    }

    async fn apply_maintenance(&self, id: &str, action: &str) -> Result<(), RdsError> {
        let applied = self.sim.rds().apply_maintenance(id, action, "immediate");
        applied.map_err(|e| refused(id, "RDS.ApplyPendingMaintenanceAction", &e))
    }

    async fn reboot(&self, id: &str) -> Result<(), RdsError> {
        let rebooted = self.sim.rds().reboot(id);
        rebooted.map_err(|e| refused(id, "RDS.RebootDBInstance", &e))
    }
}

/// The simulator's refusal of `call` on `id` as grkeeper's RDS port types it.
fn refused(id: &str, call: &'static str, error: &gr_sim::RdsError) -> RdsError {
    match error {
        gr_sim::RdsError::NotFound(_) | gr_sim::RdsError::ResourceNotFound(_) => {
            RdsError::NotFound {
                instance: id.into(),
            }
        }
        gr_sim::RdsError::InvalidState { .. } => RdsError::InvalidState {
            instance: id.into(),
            message: error.to_string(),
        },
        gr_sim::RdsError::NoPendingAction { .. } | gr_sim::RdsError::InvalidOptIn(_) => {
            RdsError::Aws(AwsError::entry_failure(
                call,
                Some(error.code()),
                error.to_string(),
            ))
        }
    }
}

/// Each simulated member's instance id -> the loopback address it listens on.
pub fn endpoint_overrides(sim: &Cluster) -> EndpointOverrides {
    EndpointOverrides::new(
        sim.names()
            .iter()
            .filter_map(|name| {
                let addr = sim.addr(name).ok()?;
                Some((
                    name.clone(),
                    Endpoint::new(addr.ip().to_string(), addr.port()),
                ))
            })
            .collect(),
    )
}

/// [`endpoint_overrides`] as `GRKEEPER_ENDPOINT_OVERRIDES` spells them (`id=host:port,...`),
/// for a process configured through its environment (a function under cargo lambda, the CLI).
pub fn endpoint_overrides_env(sim: &Cluster) -> String {
    endpoint_overrides(sim)
        .as_map()
        .iter()
        .map(|(id, endpoint)| format!("{id}={endpoint}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Bound for one statement, connection included: the simulator answers in milliseconds, so a
/// member silent for this long is hung (blackholed, or a bug) and must not hang its caller.
pub const STATEMENT_BOUND: Duration = Duration::from_secs(5);

/// What a member answered a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The first column of the first row, if any.
    Done(Option<String>),
    /// A MySQL error, on connect or on the statement.
    Error {
        /// MySQL error number.
        code: u16,
        /// The server's message.
        message: String,
    },
}

/// Why a statement got no answer from its member.
#[derive(Debug, thiserror::Error)]
pub enum StatementError {
    /// The simulator has no such member.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// No answer within [`STATEMENT_BOUND`].
    #[error("{member} did not answer within {} s", STATEMENT_BOUND.as_secs())]
    Timeout {
        /// The member.
        member: String,
    },
    /// The client failed other than with a MySQL error (I/O, protocol).
    #[error("{member}: {reason}")]
    Client {
        /// The member.
        member: String,
        /// The client's error.
        reason: String,
    },
}

/// Connects to `member` as a person would, with their own account (the simulator's operator
/// account, not grkeeper's: `mysql.rds_history` tells their calls apart), without TLS, runs
/// `statement`, reads every result set and disconnects, all within [`STATEMENT_BOUND`].
pub async fn run_statement(
    sim: &Cluster,
    member: &str,
    statement: &str,
) -> Result<Reply, StatementError> {
    let client = |error: &dyn std::fmt::Display| StatementError::Client {
        member: member.to_owned(),
        reason: error.to_string(),
    };
    let opts = Opts::from_url(&sim.operator_url(member)?).map_err(|e| client(&e))?;
    let session = async {
        let mut conn = Conn::new(opts).await?;
        let mut result = conn.query_iter(statement).await?;
        let mut first = None;
        while !result.is_empty() {
            let rows: Vec<Row> = result.collect().await?;
            if first.is_none() {
                first = rows
                    .first()
                    .and_then(|row| row.get_opt::<String, _>(0))
                    .and_then(Result::ok);
            }
        }
        drop(result);
        conn.disconnect().await?;
        Ok::<_, mysql_async::Error>(first)
    };
    match tokio::time::timeout(STATEMENT_BOUND, session).await {
        Err(_) => Err(StatementError::Timeout {
            member: member.to_owned(),
        }),
        Ok(Ok(first)) => Ok(Reply::Done(first)),
        Ok(Err(mysql_async::Error::Server(error))) => Ok(Reply::Error {
            code: error.code,
            message: error.message,
        }),
        Ok(Err(error)) => Err(client(&error)),
    }
}

#[cfg(test)]
mod tests {
    use gr_sim::{SimConfig, Timing};

    use super::*;

    async fn sim() -> Arc<Cluster> {
        let config = SimConfig::new(["orders-1", "orders-2"]).real_time(Timing::fast());
        Arc::new(Cluster::start(config).await.unwrap())
    }

    #[tokio::test]
    async fn every_member_is_an_available_instance_of_the_named_cluster() {
        let rds = SimRds::new(sim().await, "orders");
        let clusters = rds.clusters_by_tag("grkeeper:cluster").await.unwrap();
        assert_eq!(clusters, vec![rds.inventory()]);
        assert_eq!(clusters[0].instances, ["orders-1", "orders-2"]);
        let ids = vec!["orders-2".to_owned(), "orders-9".to_owned()];
        let described = rds.describe(&ids).await.unwrap();
        let seen = described[0].1.seen().unwrap();
        assert!(seen.status.is_available());
        assert_eq!(seen.tags["grkeeper:cluster"], "orders");
        assert!(described[1].1.failed().is_some());
    }

    #[tokio::test]
    async fn a_reboot_goes_through_the_simulator_and_an_unknown_instance_is_not_found() {
        let sim = sim().await;
        let rds = SimRds::new(Arc::clone(&sim), "orders");
        rds.reboot("orders-1").await.unwrap();
        assert_eq!(sim.rds().describe()[0].status.as_str(), "rebooting");
        assert!(matches!(
            rds.reboot("orders-1").await,
            Err(RdsError::InvalidState { .. })
        ));
        assert!(matches!(
            rds.reboot("orders-9").await,
            Err(RdsError::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn the_overrides_variable_configures_the_same_overrides() {
        let sim = sim().await;
        let env = BTreeMap::from([
            ("GRKEEPER_SECRET_ARN", "members".to_owned()),
            ("GRKEEPER_TABLE", "grkeeper".to_owned()),
            (
                "GRKEEPER_TOPIC_ARN",
                "arn:aws:sns:us-east-1:123456789012:t".to_owned(),
            ),
            ("GRKEEPER_ENDPOINT_OVERRIDES", endpoint_overrides_env(&sim)),
        ]);
        let config = grkeeper::config::Config::from_lookup(|name| env.get(name).cloned()).unwrap();
        assert_eq!(config.endpoint_overrides, endpoint_overrides(&sim));
    }

    #[tokio::test]
    async fn a_statement_is_answered_and_a_mysql_error_is_a_reply() {
        let sim = sim().await;
        let hostname = run_statement(&sim, "orders-2", "SELECT @@hostname").await;
        assert!(
            matches!(&hostname, Ok(Reply::Done(Some(name))) if !name.is_empty()),
            "{hostname:?}"
        );
        let unknown = run_statement(&sim, "orders-2", "SELECT * FROM mysql.no_such_table").await;
        assert!(
            matches!(unknown, Ok(Reply::Error { code: 1146, .. })),
            "{unknown:?}"
        );
        let missing = run_statement(&sim, "orders-9", "SELECT 1").await;
        assert!(
            matches!(missing, Err(StatementError::Sim(_))),
            "{missing:?}"
        );
    }

    #[tokio::test]
    async fn a_member_that_never_answers_is_a_timeout_within_the_bound() {
        let sim = sim().await;
        sim.inject(gr_sim::Fault::Blackhole {
            member: "orders-1".into(),
            on: true,
        })
        .unwrap();
        let started = std::time::Instant::now();
        let silent = run_statement(&sim, "orders-1", "SELECT 1").await;
        assert!(
            matches!(silent, Err(StatementError::Timeout { .. })),
            "{silent:?}"
        );
        assert!(started.elapsed() < STATEMENT_BOUND * 2);
    }

    #[tokio::test]
    async fn the_overrides_point_each_instance_at_its_member_s_loopback_port() {
        let sim = sim().await;
        let overrides = endpoint_overrides(&sim);
        let addr = sim.addr("orders-2").unwrap();
        assert_eq!(
            overrides.as_map()["orders-2"],
            Endpoint::new("127.0.0.1", addr.port())
        );
        assert_eq!(overrides.as_map().len(), 2);
    }
}
