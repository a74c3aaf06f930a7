//! Everything a keeper tick runs against, started by one call: a simulated 3-member GR cluster
//! `orders` (instances `orders-1`..`orders-3`, as in `events/`), moto with the resources the
//! template declares, and the bridge in front of moto; the environment that points grkeeper at
//! them; and readers for what grkeeper left behind (alerts, journal items, topology events).
//!
//! ```no_run
//! # async fn example() -> Result<(), grkeeper_e2e::harness::HarnessError> {
//! use grkeeper_e2e::harness::{Harness, event};
//! use grkeeper::lambda::Function;
//! use grkeeper_e2e::invoke::{invoke, taken};
//! let h = Harness::start().await?;
//! let env = h.env(); // GRKEEPER_*, AWS_ENDPOINT_URL (the bridge), region, dummy keys
//! let committed = h.leave_into_offline_mode("orders-2").await?.all_executed();
//! let deps = h.cold_start(Function::Sweep).await.expect("cold start"); // grkeeper's Deps
//! let summary = invoke(&deps, event("schedule.json")?).await.expect("tick"); // its handler
//! assert_eq!(taken(&summary), ["reboot orders-2 verified"]);
//! h.wait_converged(&committed).await?; // ground truth: healed, no split brain, nothing lost
//! let alerts = h.alerts().await?; // SNS envelopes read back from an SQS subscription
//! let journal = h.journaled_actions().await?; // ["reboot orders-2 succeeded"], from DynamoDB
//! # drop((env, alerts, journal)); Ok(()) }
//! ```
//!
//! The simulator runs in real time with `Timing::fast()` (tens of milliseconds), and the
//! environment sets grkeeper's timeouts to match: one second to connect, a few to verify.
//! Everything stops when the [`Harness`] is dropped. The readers talk to moto directly, never
//! through the bridge, so a fault set on the bridge never hides what grkeeper did.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::error::DisplayErrorContext;
use gr_sim::{Cluster, Fault, GtidSet, SimConfig, SimError, Timing, Truth, Version};
use grkeeper::adapters::aws::dynamo::DynamoJournal;
use grkeeper::config::DEFAULT_DEPLOYMENT;
use grkeeper::lambda::{Deps, Function};
use grkeeper::ports::journal::Journal;
use grkeeper::ports::reboot::CLAIM_TAG;
use grkeeper::snapshot::Approval;
use grkeeper::wiring::InitError;
use grkeeper_demo::sim::{self, Reply};
use serde_json::Value;

use crate::bridge::Bridge;
use crate::moto::{Moto, MotoError};
use crate::queue::Queue;
use crate::resources::{self, CLUSTER_TAG};
use crate::{invoke, tools};

/// The cluster's name (its instances' `grkeeper:cluster` tag).
pub const CLUSTER: &str = "orders";
/// Its instances, as the files in `events/` name them.
pub const MEMBERS: [&str; 3] = ["orders-1", "orders-2", "orders-3"];
/// The journal table.
pub const TABLE: &str = "grkeeper";
/// The topology bus.
pub const BUS: &str = "grkeeper-topology";
const TOPIC: &str = "grkeeper-alerts";
/// The deployment's name (`GRKEEPER_DEPLOYMENT`): its claim on the members, as alerts name it.
pub const DEPLOYMENT: &str = DEFAULT_DEPLOYMENT;
/// The log group the functions' ticks link (`AWS_LAMBDA_LOG_GROUP_NAME`).
pub const LOG_GROUP: &str = "/aws/lambda/grkeeper-e2e/sweep";
const SECRET: &str = "grkeeper/members";
pub(crate) const DB_USER: &str = "grkeeper";
pub(crate) const DB_PASSWORD: &str = "e2e-members-password";
/// `GRKEEPER_CONNECT_TIMEOUT_MS`: what a blackholed member costs a tick.
pub const CONNECT_TIMEOUT_MS: u64 = 1000;
/// Bound for the simulated cluster to show a fault or settle after an action (it needs well
/// under a second).
const SETTLE: Duration = Duration::from_secs(15);

/// Why the harness could not start or read something back.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// moto did not start.
    #[error(transparent)]
    Moto(#[from] MotoError),
    /// The simulator refused a configuration or a fault.
    #[error("simulator: {0}")]
    Sim(#[from] SimError),
    /// A port on 127.0.0.1 could not be bound (the bridge's, or one left closed).
    #[error("cannot listen on 127.0.0.1: {0}")]
    Listen(#[source] std::io::Error),
    /// An AWS call to moto failed.
    #[error("{call} failed: {message}")]
    Aws {
        /// Service and operation.
        call: &'static str,
        /// The SDK error with its causes.
        message: String,
    },
    /// A statement on a simulated member failed.
    #[error("MySQL on {member}: {reason}")]
    Mysql {
        /// The member.
        member: String,
        /// The client's error.
        reason: String,
    },
    /// A resource could not be described to the SDK.
    #[error("setting up: {0}")]
    Setup(String),
    /// A queue did not receive what was expected in time.
    #[error("expected {expected} messages in {queue}, got {}: {got:#?}", got.len())]
    Delivery {
        /// The queue URL.
        queue: String,
        /// How many were expected.
        expected: usize,
        /// What did arrive.
        got: Vec<Value>,
    },
    /// A message or file is not the JSON it should be.
    #[error("{what} is not the JSON expected: {reason}")]
    Json {
        /// What was read.
        what: String,
        /// Why it does not fit.
        reason: String,
    },
    /// The simulated cluster did not settle as expected in time.
    #[error("{expected} not reached within {SETTLE:?}; the simulator's truth: {truth:#?}")]
    NotSettled {
        /// What was waited for.
        expected: &'static str,
        /// The truth when the wait ended.
        truth: Box<Truth>,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl HarnessError {
    /// An SDK failure of `call`, with every cause (the service's code and message included).
    pub fn aws(call: &'static str, error: impl std::error::Error) -> Self {
        HarnessError::Aws {
            call,
            message: DisplayErrorContext(error).to_string(),
        }
    }
}

/// One alert as a subscriber gets it: the SNS envelope's subject, message and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// `Subject`.
    pub subject: String,
    /// `Message`: the body.
    pub message: String,
    /// `MessageAttributes`, name -> value.
    pub attributes: BTreeMap<String, String>,
}

impl Alert {
    /// Reads an SNS envelope as an SQS subscription receives it.
    pub fn from_envelope(envelope: &Value) -> Result<Alert, HarnessError> {
        let text = |name: &str| {
            envelope[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| HarnessError::Json {
                    what: "an SNS envelope".into(),
                    reason: format!("no string {name:?} in {envelope}"),
                })
        };
        let attributes = envelope["MessageAttributes"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, attribute)| {
                let value = attribute["Value"].as_str().unwrap_or_default().to_owned();
                (name.clone(), value)
            })
            .collect();
        Ok(Alert {
            subject: text("Subject")?,
            message: text("Message")?,
            attributes,
        })
    }

    /// The value of MessageAttribute `name` (empty when absent).
    pub fn attribute(&self, name: &str) -> &str {
        self.attributes.get(name).map_or("", String::as_str)
    }
}

/// A running simulator, moto and bridge, with grkeeper's resources in place.
#[derive(Debug)]
pub struct Harness {
    /// The simulated cluster: faults, ground truth, RDS control plane.
    pub sim: Arc<Cluster>,
    /// The proxy grkeeper's AWS calls go through: faults, and which calls were made.
    pub bridge: Bridge,
    /// The AWS stand-in behind the bridge.
    pub moto: Moto,
    aws: SdkConfig,
    alerts: Queue,
    topology: Queue,
    topic_arn: String,
    secret_arn: String,
}

impl Harness {
    /// The cluster `orders` with every member ONLINE.
    pub async fn start() -> Result<Harness, HarnessError> {
        Harness::start_with(|config| config).await
    }

    /// The same after `change` adjusted the simulator's configuration (members' settings,
    /// start state, credentials); the members keep their names.
    pub async fn start_with(
        change: impl FnOnce(SimConfig) -> SimConfig,
    ) -> Result<Harness, HarnessError> {
        Harness::start_members(&MEMBERS, &MEMBERS, change).await
    }

    /// The cluster `orders` with one member per version of `versions`, `orders-1`..`orders-N`,
    /// every member ONLINE (the newer ones read-only where the version rules hold them so);
    /// `change` adjusts the configuration as in [`Harness::start_with`].
    pub async fn start_versions(
        versions: &[Version],
        change: impl FnOnce(SimConfig) -> SimConfig,
    ) -> Result<Harness, HarnessError> {
        let names: Vec<String> = (1..=versions.len())
            .map(|i| format!("{CLUSTER}-{i}"))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        Harness::start_members(&names, &names, |mut config| {
            for (name, version) in names.iter().zip(versions) {
                config = config.member(name, |m| m.version = *version);
            }
            change(config)
        })
        .await
    }

    /// The simulated members `names`, of which `inventory` are the cluster's own RDS instances,
    /// `change` applied.
    async fn start_members(
        names: &[&str],
        inventory: &[&str],
        change: impl FnOnce(SimConfig) -> SimConfig,
    ) -> Result<Harness, HarnessError> {
        let config = SimConfig::new(names.iter().copied())
            .user(DB_USER, DB_PASSWORD)
            .real_time(Timing::fast());
        let sim = Arc::new(Cluster::start(change(config)).await?);
        keep_binlogs(&sim).await?;
        let moto = Moto::start().await?;
        let bridge = Bridge::start(&moto, Arc::clone(&sim))
            .await
            .map_err(HarnessError::Listen)?;
        let aws = moto.sdk_config().await;
        let deployed = Deployed::create(&aws, sim.user(), sim.password()).await?;
        let rds = aws_sdk_rds::Client::new(&aws);
        // Only the cluster's own members are RDS instances of the inventory; any other simulated
        // member (`start_with_outsiders`) is one grkeeper cannot see.
        for (index, member) in sim
            .truth()
            .members
            .into_iter()
            .filter(|m| inventory.contains(&m.name.as_str()))
            .enumerate()
        {
            member_instance(&rds, CLUSTER, index, &member.name, &member.version).await?;
        }
        let Deployed {
            alerts,
            topology,
            topic_arn,
            secret_arn,
        } = deployed;
        Ok(Harness {
            sim,
            bridge,
            moto,
            aws,
            alerts,
            topology,
            topic_arn,
            secret_arn,
        })
    }

    /// The cluster with `outsiders` in its group besides its own members, all ONLINE: simulated
    /// members no RDS instance of the inventory is (no instance carries the cluster tag for
    /// them), as members added by hand would be. `change` adjusts the configuration as in
    /// [`Harness::start_with`].
    pub async fn start_with_outsiders(
        outsiders: &[&str],
        change: impl FnOnce(SimConfig) -> SimConfig,
    ) -> Result<Harness, HarnessError> {
        let names: Vec<&str> = MEMBERS.iter().chain(outsiders).copied().collect();
        Harness::start_members(&names, &MEMBERS, change).await
    }

    /// The same, with members that do not start Group Replication by themselves after a
    /// restart: a restarted member stays OFFLINE until someone rejoins it.
    pub async fn start_without_gr_on_boot() -> Result<Harness, HarnessError> {
        Harness::start_with(|config| config.all_members(|m| m.start_on_boot = false)).await
    }

    /// Waits (bounded) until `done` holds for the simulator's truth; the error shows the truth.
    pub async fn wait_until(
        &self,
        expected: &'static str,
        done: impl Fn(&Truth) -> bool,
    ) -> Result<Truth, HarnessError> {
        self.sim
            .wait_for(SETTLE, done)
            .await
            .map_err(|_| HarnessError::NotSettled {
                expected,
                truth: Box::new(self.sim.truth()),
            })
    }

    /// Restarts mysqld on `member` and waits until it is up with Group Replication OFFLINE and
    /// no group lists its previous incarnation any more (as when RDS's restart event arrives).
    /// For members that do not start GR on boot ([`Harness::start_without_gr_on_boot`]).
    pub async fn restart_offline(&self, member: &str) -> Result<Truth, HarnessError> {
        self.sim.restart(member)?;
        self.wait_until("the restarted member OFFLINE and out of every view", |t| {
            t.offline_and_out_of_every_view(member)
        })
        .await
    }

    /// `member` comes back from a restart (as [`Harness::restart_offline`]) holding `count`
    /// transactions of its own that the group never saw: it must not rejoin. Their GTIDs.
    pub async fn restart_with_errant_transactions(
        &self,
        member: &str,
        count: u64,
    ) -> Result<Vec<String>, HarnessError> {
        self.restart_offline(member).await?;
        Ok(self.sim.inject(Fault::ErrantTransaction {
            member: member.to_owned(),
            count,
        })?)
    }

    /// An operator stops Group Replication on `member` over SQL, as before maintenance: it goes
    /// OFFLINE and the others drop it from their views.
    pub async fn stop_group_replication(&self, member: &str) -> Result<Truth, HarnessError> {
        run_sql(&self.sim, member, "CALL mysql.rds_group_replication_stop()").await?;
        self.wait_until("the member OFFLINE and out of every view", |t| {
            t.offline_and_out_of_every_view(member)
        })
        .await
    }

    /// A person bootstraps a group on `member` (GR stopped first, as it must be), whatever else
    /// runs: a second group when one is live elsewhere.
    pub async fn bootstrap_by_hand(&self, member: &str) -> Result<Truth, HarnessError> {
        run_sql(&self.sim, member, "CALL mysql.rds_group_replication_stop()").await?;
        run_sql(
            &self.sim,
            member,
            "CALL mysql.rds_group_replication_start(1)",
        )
        .await?;
        self.wait_until("the member ONLINE in a group of its own", |t| {
            t.state(member) == "ONLINE"
        })
        .await
    }

    /// A person stops the instance of `member` through RDS (`StopDBInstance`, through the
    /// bridge as any AWS client would), and it is `stopped`.
    pub async fn stop_instance(&self, member: &str) -> Result<Truth, HarnessError> {
        aws_sdk_rds::Client::new(&self.bridged_aws().await)
            .stop_db_instance()
            .db_instance_identifier(member)
            .send()
            .await
            .map_err(|e| HarnessError::aws("RDS.StopDBInstance", e))?;
        self.wait_until("the instance stopped", |t| {
            t.member(member)
                .is_some_and(|m| m.instance_status == gr_sim::InstanceStatus::Stopped)
        })
        .await
    }

    /// A person starts the stopped instance of `member` (`StartDBInstance`, through the bridge),
    /// and its mysqld is up again.
    pub async fn start_instance(&self, member: &str) -> Result<Truth, HarnessError> {
        aws_sdk_rds::Client::new(&self.bridged_aws().await)
            .start_db_instance()
            .db_instance_identifier(member)
            .send()
            .await
            .map_err(|e| HarnessError::aws("RDS.StartDBInstance", e))?;
        self.wait_until("the instance available and its mysqld up", |t| {
            t.member(member)
                .is_some_and(|m| m.instance_status == gr_sim::InstanceStatus::Available && m.up)
        })
        .await
    }

    /// A person's approval, written to the journal as `grkeeper approve` writes it.
    pub async fn approve(&self, approval: &Approval) -> Result<(), HarnessError> {
        DynamoJournal::new(aws_sdk_dynamodb::Client::new(&self.aws), TABLE)
            .approve(CLUSTER, approval)
            .await
            .map_err(|e| HarnessError::Setup(format!("approval not written: {e}")))
    }

    /// The applier fails on `member`: it leaves its group in ERROR and takes its exit action,
    /// offline mode (RDS's default), so it refuses new connections with error 3032.
    pub async fn leave_into_offline_mode(&self, member: &str) -> Result<Truth, HarnessError> {
        self.sim.inject(Fault::ApplierError {
            member: member.to_owned(),
        })?;
        self.wait_until("the member in offline mode", |t| {
            t.member(member).is_some_and(|m| m.offline_mode)
        })
        .await
    }

    /// grkeeper's environment: every `GRKEEPER_*` variable that matters here, and the AWS
    /// variables that send its SDK clients through the bridge with dummy credentials.
    pub fn env(&self) -> BTreeMap<String, String> {
        function_env(
            &self.moto,
            self.bridge.endpoint_url(),
            sim::endpoint_overrides_env(&self.sim),
            &self.secret_arn,
            &self.topic_arn,
        )
    }

    /// The SDK configuration for moto itself (not through the bridge), for checks and setup.
    pub fn aws(&self) -> &SdkConfig {
        &self.aws
    }

    /// The SDK configuration grkeeper builds, aimed at the bridge: its timeouts and retries,
    /// so a fault set on the bridge meets the same retries as in a tick.
    pub async fn bridged_aws(&self) -> SdkConfig {
        self.bridge.sdk_config(&self.moto).await
    }

    /// Every alert published so far and not yet read, oldest first (waits until none has
    /// arrived for a couple of seconds).
    pub async fn alerts(&self) -> Result<Vec<Alert>, HarnessError> {
        Harness::read_alerts(&self.alerts).await
    }

    /// A queue subscribed to the alert topic with the subscription filter policy `filter`
    /// (JSON): what a subscriber with that filter gets, read with [`Harness::read_alerts`].
    pub async fn subscribe(&self, name: &str, filter: &str) -> Result<Queue, HarnessError> {
        resources::filtered_queue(&self.aws, &self.topic_arn, name, filter).await
    }

    /// Every alert that arrived in `queue` and was not read yet, oldest first.
    pub async fn read_alerts(queue: &Queue) -> Result<Vec<Alert>, HarnessError> {
        let envelopes = queue.drain().await?;
        envelopes.iter().map(Alert::from_envelope).collect()
    }

    /// Every topology event put so far and not yet read (EventBridge events as JSON).
    pub async fn topology_events(&self) -> Result<Vec<Value>, HarnessError> {
        self.topology.drain().await
    }

    /// Every item of the journal table, DynamoDB types turned into JSON (strings, numbers,
    /// maps, lists), sorted by `pk` then `sk`.
    pub async fn journal(&self) -> Result<Vec<Value>, HarnessError> {
        let dynamodb = aws_sdk_dynamodb::Client::new(&self.aws);
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = dynamodb
                .scan()
                .table_name(TABLE)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| HarnessError::aws("DynamoDB.Scan", e))?;
            items.extend(page.items().iter().map(item_json));
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        let key = |item: &Value| (item["pk"].to_string(), item["sk"].to_string());
        items.sort_by_key(key);
        Ok(items)
    }

    /// The journal's actions, oldest first, one line each: `kind instance outcome` (e.g.
    /// `rejoin orders-1 succeeded`).
    pub async fn journaled_actions(&self) -> Result<Vec<String>, HarnessError> {
        let journal = self.journal().await?;
        Ok(journal
            .iter()
            .filter(|item| {
                item["sk"]
                    .as_str()
                    .is_some_and(|sk| sk.starts_with("action#"))
            })
            .map(|item| {
                let field = |name: &str| item[name].as_str().unwrap_or("?").to_owned();
                format!(
                    "{} {} {}",
                    field("kind"),
                    field("instance"),
                    field("outcome")
                )
            })
            .collect())
    }

    /// A cold start of `function` against this harness: [`Harness::env`] and
    /// [`Harness::bridged_aws`].
    pub async fn cold_start(&self, function: Function) -> Result<Deps, InitError> {
        invoke::cold_start(function, &self.env(), &self.bridged_aws().await).await
    }

    /// Waits until every member is ONLINE in one group that holds every transaction of
    /// `committed` and no other group can commit: healed, no split brain, nothing lost.
    pub async fn wait_converged(&self, committed: &GtidSet) -> Result<Truth, HarnessError> {
        self.wait_until(
            "every member ONLINE in one group with every committed transaction",
            |t| t.converged() && !t.split_brain() && committed.is_subset_of(&t.all_executed()),
        )
        .await
    }

    /// Replaces the members' secret, as a credential rotation would.
    pub async fn put_secret(&self, username: &str, password: &str) -> Result<(), HarnessError> {
        aws_sdk_secretsmanager::Client::new(&self.aws)
            .put_secret_value()
            .secret_id(&self.secret_arn)
            .secret_string(resources::secret_json(username, password))
            .send()
            .await
            .map_err(|e| HarnessError::aws("SecretsManager.PutSecretValue", e))?;
        Ok(())
    }
}

/// grkeeper's AWS resources in moto besides the members' instances, as the template declares
/// them: the members' parameter group, the journal table, the alert topic and the topology bus
/// (each read back through an SQS queue), the members' secret.
#[derive(Debug)]
pub(crate) struct Deployed {
    pub(crate) alerts: Queue,
    pub(crate) topology: Queue,
    pub(crate) topic_arn: String,
    pub(crate) secret_arn: String,
}

impl Deployed {
    /// Creates them, the secret holding `user` and `password`.
    pub(crate) async fn create(
        aws: &SdkConfig,
        user: &str,
        password: &str,
    ) -> Result<Deployed, HarnessError> {
        resources::member_parameter_group(&aws_sdk_rds::Client::new(aws)).await?;
        resources::journal_table(&aws_sdk_dynamodb::Client::new(aws), TABLE).await?;
        let (topic_arn, alerts) = resources::topic_with_queue(aws, TOPIC).await?;
        let topology = resources::bus_with_queue(aws, BUS).await?;
        let secrets = aws_sdk_secretsmanager::Client::new(aws);
        let secret_arn = resources::member_secret(&secrets, SECRET, user, password).await?;
        Ok(Deployed {
            alerts,
            topology,
            topic_arn,
            secret_arn,
        })
    }
}

/// The DB instance of simulated member `name` (MySQL `version`), the `index`th of cluster
/// `cluster`, kept by the harness's deployment already: a tick acts from the start. Each member
/// of a cluster gets its own maintenance window (moto gives every instance the same one, which
/// would raise the overlapping-windows finding in every test).
pub(crate) async fn member_instance(
    rds: &aws_sdk_rds::Client,
    cluster: &str,
    index: usize,
    name: &str,
    version: &str,
) -> Result<(), HarnessError> {
    let tags = [(CLUSTER_TAG, cluster), (CLAIM_TAG, DEPLOYMENT)];
    resources::db_instance(
        rds,
        name,
        "mysql",
        Some(version),
        &tags,
        Some(resources::MEMBER_PARAMETER_GROUP),
        Some(&resources::maintenance_window(index)),
    )
    .await
}

/// grkeeper's environment against moto (its AWS calls sent to `aws_endpoint`: the bridge, or
/// moto itself), members reached through `overrides` (`GRKEEPER_ENDPOINT_OVERRIDES`): every
/// `GRKEEPER_*` variable that matters here, and the AWS variables with dummy credentials.
pub(crate) fn function_env(
    moto: &Moto,
    aws_endpoint: String,
    overrides: String,
    secret_arn: &str,
    topic_arn: &str,
) -> BTreeMap<String, String> {
    let grkeeper = [
        ("GRKEEPER_CLUSTER_TAG", CLUSTER_TAG.to_owned()),
        ("GRKEEPER_SECRET_ARN", secret_arn.to_owned()),
        ("GRKEEPER_TABLE", TABLE.to_owned()),
        ("GRKEEPER_TOPIC_ARN", topic_arn.to_owned()),
        ("GRKEEPER_EVENT_BUS", BUS.to_owned()),
        ("GRKEEPER_ENDPOINT_OVERRIDES", overrides),
        ("GRKEEPER_TLS", "disabled".to_owned()),
        // The simulator answers in microseconds; a blackholed member costs one second.
        (
            "GRKEEPER_CONNECT_TIMEOUT_MS",
            CONNECT_TIMEOUT_MS.to_string(),
        ),
        ("GRKEEPER_QUERY_TIMEOUT_MS", "2000".to_owned()),
        // Fast timings settle well under a second; a few seconds absorb a busy machine.
        ("GRKEEPER_VERIFY_TIMEOUT_SECS", "5".to_owned()),
        ("GRKEEPER_LEASE_SECS", "30".to_owned()),
        ("GRKEEPER_DEPLOYMENT", DEPLOYMENT.to_owned()),
        // What Lambda sets in a function's environment: alerts link the tick's logs there.
        ("AWS_LAMBDA_LOG_GROUP_NAME", LOG_GROUP.to_owned()),
    ];
    let mut env: BTreeMap<String, String> = moto
        .env()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    env.insert("AWS_ENDPOINT_URL".into(), aws_endpoint);
    env.extend(grkeeper.map(|(name, value)| (name.to_owned(), value)));
    env
}

/// Sets binlog retention to the 168 hours AWS's guidance for Group Replication asks for, on every
/// member, as an operator would: the cluster starts out configured right, and only the faults a
/// test injects are findings.
pub(crate) async fn keep_binlogs(sim: &Cluster) -> Result<(), HarnessError> {
    for name in sim.names() {
        run_sql(
            sim,
            name,
            "CALL mysql.rds_set_configuration('binlog retention hours', 168)",
        )
        .await?;
    }
    Ok(())
}

/// Runs one statement on `member` as a person would, with their own account (bounded:
/// [`sim::STATEMENT_BOUND`]); a MySQL error fails like no answer at all.
async fn run_sql(sim: &Cluster, member: &str, statement: &str) -> Result<(), HarnessError> {
    let reason = match sim::run_statement(sim, member, statement).await {
        Ok(Reply::Done(_)) => return Ok(()),
        Ok(Reply::Error { code, message }) => format!("ERROR {code}: {message}"),
        Err(error) => error.to_string(),
    };
    Err(HarnessError::Mysql {
        member: member.to_owned(),
        reason,
    })
}

/// A Lambda input from the project's `events/` directory (e.g. `rds-instance-restarted.json`).
pub fn event(file: &str) -> Result<Value, HarnessError> {
    let path = tools::workspace_root().join("events").join(file);
    let text = std::fs::read_to_string(&path).map_err(|source| HarnessError::Read {
        path: path.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| HarnessError::Json {
        what: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// `http://127.0.0.1:PORT` where nothing listens: an AWS endpoint that refuses connections.
pub fn closed_endpoint() -> Result<String, HarnessError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(HarnessError::Listen)?;
    let port = listener.local_addr().map_err(HarnessError::Listen)?.port();
    Ok(format!("http://127.0.0.1:{port}"))
}

/// One DynamoDB item as JSON.
fn item_json(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        item.iter()
            .map(|(name, value)| (name.clone(), attribute_json(value)))
            .collect(),
    )
}

fn attribute_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(text) => Value::String(text.clone()),
        AttributeValue::N(number) => number_json(number),
        AttributeValue::Bool(flag) => Value::Bool(*flag),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::M(map) => item_json(map),
        AttributeValue::L(list) => Value::Array(list.iter().map(attribute_json).collect()),
        AttributeValue::Ss(texts) => texts.iter().cloned().map(Value::String).collect(),
        AttributeValue::Ns(numbers) => numbers.iter().map(|n| number_json(n)).collect(),
        // Binary values: grkeeper writes none; show them rather than hide them.
        other => Value::String(format!("{other:?}")),
    }
}

fn number_json(number: &str) -> Value {
    number
        .parse::<i64>()
        .map(Value::from)
        .or_else(|_| number.parse::<f64>().map(Value::from))
        .unwrap_or_else(|_| Value::String(number.to_owned()))
}
