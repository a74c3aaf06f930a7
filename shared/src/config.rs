//! Environment -> [`Config`], validated once at start-up (`docs/configuration.md`).
//!
//! Variables are read through a lookup function, not `std::env`, so tests need no process
//! environment. Every bad value is reported with the variable's name and what was expected, and
//! all problems are collected before failing, so one deploy fixes them all.

mod effective;
mod policy;
mod reader;
mod tls;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::{Endpoint, EndpointOverrides};
use crate::report::Deployment;
use crate::snapshot::Policy;
use crate::trigger::{ClusterName, InstanceId};

pub use effective::{Difference, Effective, Published};
pub use reader::{ConfigError, Problem};
pub use tls::{CaBundle, CaSource, Tls};

use reader::Reader;

/// Everything the functions and the CLI are configured with.
#[derive(Debug, Clone)]
pub struct Config {
    /// This deployment's name (`GRKEEPER_DEPLOYMENT`; the stack name): its claim on the members,
    /// its metrics' `Deployment` dimension.
    pub deployment: String,
    /// The DB instances the deployment's event rule and IAM policy name
    /// (`GRKEEPER_EVENT_INSTANCE_IDS`, the stack's `EventInstanceIds`); `None` outside a stack.
    pub event_instance_ids: Option<Vec<String>>,
    /// Which instances make up which cluster.
    pub inventory: Inventory,
    /// Secrets Manager secret with the members' `{"username", "password"}`.
    pub secret_arn: String,
    /// DynamoDB table for lease, journal and incidents.
    pub table: String,
    /// SNS topic for alerts.
    pub topic_arn: String,
    /// EventBridge bus for topology events.
    pub event_bus: String,
    /// The function's log group (`AWS_LAMBDA_LOG_GROUP_NAME`, set by Lambda); `None` outside
    /// Lambda.
    pub log_group: Option<String>,
    /// Instance id -> local address (local runs only).
    pub endpoint_overrides: EndpointOverrides,
    /// TCP + handshake bound per member.
    pub connect_timeout: Duration,
    /// Bound for each probe query and each stored-procedure call.
    pub query_timeout: Duration,
    /// How long an action's verification may wait for the expected state.
    pub verify_timeout: Duration,
    /// TLS to the members.
    pub tls: Tls,
    /// Cluster lease length.
    pub lease: Duration,
    /// Actions one tick may take.
    pub max_steps: u32,
    /// `GRKEEPER_LOCAL_RUN`: the functions run under a local emulator (`cargo lambda watch`), so
    /// TLS off and endpoint overrides are allowed in them.
    pub local_run: bool,
    policy: Policy,
    cluster_policies: BTreeMap<String, Policy>,
}

/// Where the clusters and their instances come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Inventory {
    /// DB instances carrying `tag_key`; the tag value is the cluster name.
    Tagged {
        /// The RDS tag key (`grkeeper:cluster` by default).
        tag_key: String,
        /// Keep only these clusters (`GRKEEPER_CLUSTERS`); `None`: every cluster found.
        clusters: Option<BTreeSet<String>>,
    },
    /// `GRKEEPER_INSTANCES`: cluster -> instance ids, in the order given.
    Listed(BTreeMap<String, Vec<String>>),
}

const DEPLOYMENT: &str = "GRKEEPER_DEPLOYMENT";
const EVENT_INSTANCE_IDS: &str = "GRKEEPER_EVENT_INSTANCE_IDS";
const CLUSTER_TAG: &str = "GRKEEPER_CLUSTER_TAG";
const CLUSTERS: &str = "GRKEEPER_CLUSTERS";
const INSTANCES: &str = "GRKEEPER_INSTANCES";
const ENDPOINT_OVERRIDES: &str = "GRKEEPER_ENDPOINT_OVERRIDES";
const VERIFY_TIMEOUT_SECS: &str = "GRKEEPER_VERIFY_TIMEOUT_SECS";
const LEASE_SECS: &str = "GRKEEPER_LEASE_SECS";
/// Set by Lambda in every function's environment.
const LOG_GROUP: &str = "AWS_LAMBDA_LOG_GROUP_NAME";

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup` (a map in tests). An empty value counts as unset, so a
    /// template can pass empty stack parameters through.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut env = Reader::new(&lookup);
        let deployment = deployment(&mut env);
        let event_instance_ids = event_instance_ids(&mut env);
        let inventory = inventory(&mut env);
        let secret_arn = env.required("GRKEEPER_SECRET_ARN");
        let table = env.required("GRKEEPER_TABLE");
        let topic_arn = env.required("GRKEEPER_TOPIC_ARN");
        let event_bus = env
            .get("GRKEEPER_EVENT_BUS")
            .unwrap_or_else(|| "default".to_owned());
        let log_group = env.get(LOG_GROUP);
        let endpoint_overrides = endpoint_overrides(&mut env);
        let connect_timeout = env.millis("GRKEEPER_CONNECT_TIMEOUT_MS", 2000);
        let query_timeout = env.millis("GRKEEPER_QUERY_TIMEOUT_MS", 5000);
        let verify_timeout = env.secs(VERIFY_TIMEOUT_SECS, 120);
        let tls = tls::read(&mut env);
        let lease = env.secs(LEASE_SECS, 300);
        let max_steps = env.number("GRKEEPER_MAX_STEPS", 10u32, "a whole number of at least 1");
        if max_steps == 0 {
            env.problem(
                "GRKEEPER_MAX_STEPS",
                "expected a whole number of at least 1, got \"0\"",
            );
        }
        // A verification that outlives the lease would let another tick act meanwhile.
        if !lease.is_zero() && !verify_timeout.is_zero() && lease <= verify_timeout {
            env.problem(
                LEASE_SECS,
                format!(
                    "must exceed {VERIFY_TIMEOUT_SECS} ({}), got {}",
                    verify_timeout.as_secs(),
                    lease.as_secs()
                ),
            );
        }
        let local_run = policy::switch(&mut env, "GRKEEPER_LOCAL_RUN", false);
        let (policy, cluster_policies) = policy::read(&mut env, &inventory);
        env.finish()?;
        Ok(Config {
            deployment,
            event_instance_ids,
            inventory: inventory.unwrap_or(Inventory::Listed(BTreeMap::new())),
            secret_arn: secret_arn.unwrap_or_default(),
            table: table.unwrap_or_default(),
            topic_arn: topic_arn.unwrap_or_default(),
            event_bus,
            log_group,
            endpoint_overrides,
            connect_timeout,
            query_timeout,
            verify_timeout,
            tls: tls.unwrap_or(Tls::Disabled),
            lease,
            max_steps,
            local_run,
            policy,
            cluster_policies,
        })
    }

    /// Where this deployment is, as alerts name it: the account and Region of the alert topic,
    /// the deployment's name, and the function's log group.
    pub fn location(&self) -> Deployment {
        Deployment {
            name: Some(self.deployment.clone()),
            log_group: self.log_group.clone(),
            ..Deployment::from_arn(&self.topic_arn)
        }
    }

    /// What only a local run may set, as a sentence, when set: a deployed function refuses to
    /// start with it unless `GRKEEPER_LOCAL_RUN` says it runs locally.
    pub fn local_only_settings(&self) -> Option<String> {
        let mut set = Vec::new();
        if matches!(self.tls, Tls::Disabled) {
            set.push("GRKEEPER_TLS=disabled");
        }
        if !self.endpoint_overrides.as_map().is_empty() {
            set.push("GRKEEPER_ENDPOINT_OVERRIDES");
        }
        (!set.is_empty() && !self.local_run).then(|| {
            format!(
                "{} in a Lambda function: these are for local runs only (a deployed function \
                 always verifies TLS and reaches the members where RDS says they are); set \
                 GRKEEPER_LOCAL_RUN=on only under a local emulator such as cargo lambda watch",
                set.join(" and ")
            )
        })
    }

    /// The policy `cluster` is kept by: the `GRKEEPER_*` policy variables, overridden by the
    /// cluster's entry in `GRKEEPER_POLICY`.
    pub fn policy_for(&self, cluster: &str) -> Policy {
        self.cluster_policies
            .get(cluster)
            .unwrap_or(&self.policy)
            .clone()
    }
}

/// `GRKEEPER_DEPLOYMENT`, by the rules of a tag value (it becomes one: the claim tag).
fn deployment(env: &mut Reader<'_>) -> String {
    let name = env
        .get(DEPLOYMENT)
        .unwrap_or_else(|| DEFAULT_DEPLOYMENT.to_owned());
    if let Err(why) = ClusterName::parse(&name, "the deployment name") {
        env.problem(DEPLOYMENT, why.to_string());
    }
    name
}

/// The deployment name when `GRKEEPER_DEPLOYMENT` is unset (local runs).
pub const DEFAULT_DEPLOYMENT: &str = "grkeeper";

fn event_instance_ids(env: &mut Reader<'_>) -> Option<Vec<String>> {
    let text = env.get(EVENT_INSTANCE_IDS)?;
    let mut ids = Vec::new();
    for id in text.split(',').map(str::trim).filter(|id| !id.is_empty()) {
        match instance_id(id, "the list") {
            Ok(id) => ids.push(id),
            Err(why) => env.problem(EVENT_INSTANCE_IDS, why),
        }
    }
    Some(ids)
}

fn inventory(env: &mut Reader<'_>) -> Option<Inventory> {
    let tag_key = env
        .get(CLUSTER_TAG)
        .unwrap_or_else(|| "grkeeper:cluster".to_owned());
    let clusters = env.get(CLUSTERS).map(|text| {
        let mut names = BTreeSet::new();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match ClusterName::parse(name, "the list") {
                Ok(name) => {
                    names.insert(name.as_str().to_owned());
                }
                Err(e) => env.problem(CLUSTERS, e.to_string()),
            }
        }
        names
    });
    let Some(listed) = env.get(INSTANCES) else {
        return Some(Inventory::Tagged { tag_key, clusters });
    };
    if clusters.is_some() {
        env.problem(
            CLUSTERS,
            format!(
                "only applies to the tag inventory; with {INSTANCES} set, list the clusters there"
            ),
        );
    }
    match parse_instances(&listed) {
        Ok(map) => Some(Inventory::Listed(map)),
        Err(why) => {
            env.problem(
                INSTANCES,
                format!("expected cluster=id,id;cluster=id,... ({why}), got {listed:?}"),
            );
            None
        }
    }
}

fn parse_instances(text: &str) -> Result<BTreeMap<String, Vec<String>>, String> {
    let mut clusters = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let (cluster, ids) = entry
            .split_once('=')
            .ok_or_else(|| format!("{entry:?} has no '='"))?;
        let field = format!("entry {entry:?}");
        let cluster = match cluster.trim() {
            "" => return Err(format!("{entry:?} has no cluster name")),
            name => ClusterName::parse(name, &field).map_err(|e| e.to_string())?,
        };
        let ids = ids
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(|id| instance_id(id, &field))
            .collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            return Err(format!("cluster {cluster:?} lists no instance"));
        }
        for id in &ids {
            if !seen.insert(id.clone()) {
                return Err(format!("instance {id:?} is listed twice"));
            }
        }
        if clusters.insert(cluster.as_str().to_owned(), ids).is_some() {
            return Err(format!("cluster {cluster:?} is listed twice"));
        }
    }
    if clusters.is_empty() {
        return Err("no cluster".to_owned());
    }
    Ok(clusters)
}

/// `id` checked by the rule events' instance ids are checked by, and in lower case as RDS keeps
/// it (and as events carry it), so a configured `Orders-1` matches the events of `orders-1`.
fn instance_id(id: &str, field: &str) -> Result<String, String> {
    InstanceId::parse(id, field)
        .map(|id| id.as_str().to_owned())
        .map_err(|e| e.to_string())
}

fn endpoint_overrides(env: &mut Reader<'_>) -> EndpointOverrides {
    let Some(text) = env.get(ENDPOINT_OVERRIDES) else {
        return EndpointOverrides::default();
    };
    let mut map = BTreeMap::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let split = entry
            .split_once('=')
            .and_then(|(id, address)| Some((id.trim(), Endpoint::parse(address)?)));
        let parsed = match split {
            Some((id, endpoint)) => {
                instance_id(id, &format!("entry {entry:?}")).map(|id| (id, endpoint))
            }
            None => Err(format!("expected instance=host:port,... , got {entry:?}")),
        };
        match parsed {
            Ok((id, endpoint)) => {
                map.insert(id, endpoint);
            }
            Err(why) => env.problem(ENDPOINT_OVERRIDES, why),
        }
    }
    EndpointOverrides::new(map)
}

#[cfg(test)]
mod tests;
