//! A simulated cluster wired to grkeeper's real adapters: [`MysqlMembers`] over TCP to each
//! simulated member (endpoint overrides to its loopback port), and [`SimRds`], an `RdsControl`
//! over the simulator's RDS control plane (statuses, RebootDBInstance restarting the member).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use gr_sim::{Cluster, SimConfig};
use grkeeper::act::{Context, Verification};
use grkeeper::config::Tls;
use grkeeper::model::{Instance, InstanceStatus, Observed, RdsInstance};
use grkeeper::observe::{
    ClusterInventory, ConnectSettings, Credentials, Endpoint, EndpointOverrides, MysqlMembers,
    RdsControl, RdsError, observe_cluster,
};

/// How long a test waits for a verification (the fast simulator settles in well under a second).
pub const VERIFY: Verification = Verification {
    timeout: Duration::from_secs(20),
    interval: Duration::from_millis(50),
};

/// A running simulated cluster and the adapters grkeeper uses on it.
pub struct Sim {
    pub cluster: Arc<Cluster>,
    pub members: MysqlMembers,
    pub rds: SimRds,
    pub overrides: EndpointOverrides,
}

impl Sim {
    /// Starts `config` and connects with its master user, TLS off, `connect_timeout`.
    pub async fn start(config: SimConfig, connect_timeout: Duration) -> Sim {
        let cluster = Arc::new(Cluster::start(config).await.unwrap());
        let credentials = Credentials::new(cluster.user(), cluster.password());
        Sim::with_credentials(cluster, credentials, connect_timeout)
    }

    /// The same cluster reached with other credentials.
    pub fn with_credentials(
        cluster: Arc<Cluster>,
        credentials: Credentials,
        connect_timeout: Duration,
    ) -> Sim {
        let settings = ConnectSettings {
            connect_timeout,
            query_timeout: Duration::from_secs(5),
            tls: Tls::Disabled,
        };
        let overrides = EndpointOverrides::new(
            cluster
                .names()
                .iter()
                .map(|name| {
                    let addr = cluster.addr(name).unwrap();
                    (
                        name.clone(),
                        Endpoint::new(addr.ip().to_string(), addr.port()),
                    )
                })
                .collect::<BTreeMap<_, _>>(),
        );
        Sim {
            members: MysqlMembers::new(settings, credentials),
            rds: SimRds(Arc::clone(&cluster)),
            overrides,
            cluster,
        }
    }

    /// Where member `name` listens.
    pub fn endpoint(&self, name: &str) -> Endpoint {
        self.overrides.as_map()[name].clone()
    }

    /// Every member, as the keeper sees the cluster.
    pub fn inventory(&self) -> ClusterInventory {
        ClusterInventory {
            cluster: "sim".into(),
            instances: self.cluster.names().to_vec(),
        }
    }

    /// One observation of the whole cluster.
    pub async fn observe(&self) -> Vec<Instance> {
        observe_cluster(&self.rds, &self.members, &self.inventory(), &self.overrides).await
    }

    /// What an action on this cluster runs against.
    pub fn context<'a>(&'a self, observed: &'a [Instance]) -> Context<'a, MysqlMembers, SimRds> {
        Context {
            members: &self.members,
            rds: &self.rds,
            observed,
            overrides: &self.overrides,
            verification: VERIFY,
        }
    }

    /// The server_uuid of member `name`, from the simulator's truth.
    pub fn uuid(&self, name: &str) -> String {
        self.cluster
            .truth()
            .member(name)
            .unwrap()
            .server_uuid
            .clone()
    }
}

/// `RdsControl` over the simulator's RDS control plane.
pub struct SimRds(Arc<Cluster>);

impl RdsControl for SimRds {
    async fn clusters_by_tag(&self, _tag_key: &str) -> Result<Vec<ClusterInventory>, RdsError> {
        Ok(vec![ClusterInventory {
            cluster: "sim".into(),
            instances: self.0.names().to_vec(),
        }])
    }

    async fn describe(
        &self,
        ids: &[String],
    ) -> Result<Vec<(String, Observed<RdsInstance, String>)>, RdsError> {
        let described = self.0.rds().describe();
        Ok(ids
            .iter()
            .map(|id| {
                let reading = match described.iter().find(|info| &info.id == id) {
                    Some(info) => Observed::Seen(RdsInstance {
                        status: InstanceStatus(info.status.as_str().to_owned()),
                        endpoint: Some(info.endpoint.clone()),
                        port: Some(3306),
                        engine_version: Some(info.engine_version.clone()),
                        parameter_apply_status: Some("in-sync".into()),
                        tags: BTreeMap::from([("grkeeper:cluster".into(), "sim".into())]),
                    }),
                    None => Observed::Failed(format!("no instance {id}")),
                };
                (id.clone(), reading)
            })
            .collect())
    }

    async fn reboot(&self, id: &str) -> Result<(), RdsError> {
        self.0.rds().reboot(id).map_err(|e| match e.code() {
            "DBInstanceNotFound" => RdsError::NotFound {
                instance: id.into(),
            },
            _ => RdsError::InvalidState {
                instance: id.into(),
                message: e.to_string(),
            },
        })
    }
}
