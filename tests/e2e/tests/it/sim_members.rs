//! A simulated cluster wired to grkeeper's real adapters: [`MysqlMembers`] over TCP to each
//! simulated member (endpoint overrides to its loopback port), and [`SimRds`], an `RdsControl`
//! over the simulator's RDS control plane (statuses, RebootDBInstance restarting the member),
//! both from `grkeeper_demo::sim`, which the demo uses too.

use std::sync::Arc;
use std::time::Duration;

use gr_sim::{Cluster, SimConfig};
use grkeeper::adapters::mysql::{ConnectSettings, MysqlMembers};
use grkeeper::config::Tls;
use grkeeper::keeper::act::{Context, Verification};
use grkeeper::keeper::observe::observe_cluster;
use grkeeper::model::{Endpoint, EndpointOverrides, Instance};
use grkeeper::ports::clock::SystemClock;
use grkeeper::ports::rds::ClusterInventory;
use grkeeper::ports::secrets::Credentials;
use grkeeper_demo::sim::{SimRds, endpoint_overrides};

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
        Sim {
            members: MysqlMembers::new(settings, credentials),
            rds: SimRds::new(Arc::clone(&cluster), "sim"),
            overrides: endpoint_overrides(&cluster),
            cluster,
        }
    }

    /// Where member `name` listens.
    pub fn endpoint(&self, name: &str) -> Endpoint {
        self.overrides.as_map()[name].clone()
    }

    /// Every member, as the keeper sees the cluster.
    pub fn inventory(&self) -> ClusterInventory {
        self.rds.inventory()
    }

    /// One observation of the whole cluster.
    pub async fn observe(&self) -> Vec<Instance> {
        observe_cluster(&self.rds, &self.members, &self.inventory(), &self.overrides).await
    }

    /// What an action on this cluster runs against.
    pub fn context<'a>(
        &'a self,
        observed: &'a [Instance],
    ) -> Context<'a, MysqlMembers, SimRds, SystemClock> {
        Context {
            members: &self.members,
            rds: &self.rds,
            clock: &SystemClock,
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
