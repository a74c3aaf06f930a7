//! A schedule's stage: the simulated cluster its shape describes (manual clock, RDS's own
//! timings), and the keeper wired to it as a Lambda's is, through the wrapped ports: the real
//! MySQL probe over TCP, and either the in-memory AWS side ([`InMemory`]) or the real AWS adapters
//! against moto through the e2e bridge ([`OnMoto`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_config::SdkConfig;
use gr_sim::{Cluster, SimConfig, SimError, Timing};
use grkeeper::adapters::aws::dynamo::DynamoJournal;
use grkeeper::adapters::aws::eventbridge::EventBridgeBus;
use grkeeper::adapters::aws::rds::AwsRds;
use grkeeper::adapters::aws::sns::SnsNotifier;
use grkeeper::adapters::mysql::MysqlMembers;
use grkeeper::config::{Config, DEFAULT_DEPLOYMENT};
use grkeeper::keeper::Keeper;
use grkeeper::ports::Ports;
use grkeeper::ports::dns_zone::MemoryZone;
use grkeeper::ports::journal::MemoryJournal;
use grkeeper::ports::notifier::MemoryNotifier;
use grkeeper::ports::reboot::CLAIM_TAG;
use grkeeper::ports::secrets::Credentials;
use grkeeper::ports::topology_bus::MemoryBus;
use grkeeper_demo::sim::{Reply, SimRds, endpoint_overrides, run_statement};
use grkeeper_e2e::bridge::{Bridge, Failure};
use grkeeper_e2e::harness::HarnessError;
use grkeeper_e2e::moto::Moto;
use grkeeper_e2e::resources::{self, CLUSTER_TAG};

use crate::clock::SimClock;
use crate::ports::{Faulty, UnsafePlanner};
use crate::schedule::{AwsFailure, CallFailure, Port, Schedule, Shape};
use crate::tap::{Reader, Tap};

/// The members' master user, as grkeeper's secret would hold it.
const USER: &str = "grkeeper";
const PASSWORD: &str = "chaos-password";

/// The in-memory AWS side, each port wrapped.
#[derive(Debug)]
pub enum InMemory {}

impl Ports for InMemory {
    type Rds = Faulty<SimRds>;
    type Members = Faulty<MysqlMembers>;
    type Journal = Faulty<MemoryJournal>;
    type Notifier = Faulty<MemoryNotifier>;
    type Bus = Faulty<MemoryBus>;
    // Schedules configure no DNS zone: the names are never kept, so no faults are drawn there.
    type Dns = MemoryZone;
    type Clock = SimClock;
}

/// The real AWS adapters against moto through the bridge, each wrapped.
#[derive(Debug)]
pub enum OnMoto {}

impl Ports for OnMoto {
    type Rds = Faulty<AwsRds>;
    type Members = Faulty<MysqlMembers>;
    type Journal = Faulty<DynamoJournal>;
    type Notifier = Faulty<SnsNotifier>;
    type Bus = Faulty<EventBridgeBus>;
    type Dns = MemoryZone;
    type Clock = SimClock;
}

/// Why a stage could not be set up (a harness problem, never a finding).
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The simulator refused the shape.
    #[error("simulator: {0}")]
    Sim(#[from] SimError),
    /// moto or the bridge could not be set up.
    #[error(transparent)]
    Harness(#[from] HarnessError),
    /// grkeeper refused the configuration built for the schedule.
    #[error("grkeeper configuration: {0}")]
    Config(String),
    /// A setup statement failed.
    #[error("setting up {member}: {reason}")]
    Setup {
        /// The member.
        member: String,
        /// What happened.
        reason: String,
    },
}

/// One schedule's simulated cluster and the keeper looking after it.
pub struct Stage<P: Ports> {
    /// The simulated cluster: faults and ground truth.
    pub sim: Arc<Cluster>,
    /// The keeper, over the wrapped ports.
    pub keeper: Keeper<P>,
    /// What the wrapped ports share.
    pub tap: Arc<Tap>,
    /// grkeeper's clock.
    pub clock: SimClock,
    /// The cluster's name.
    pub cluster: String,
    /// The bridge in front of moto ([`OnMoto`] only).
    pub bridge: Option<Bridge>,
}

impl<P: Ports> std::fmt::Debug for Stage<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stage")
            .field("cluster", &self.cluster)
            .field("sim", &self.sim)
            .finish_non_exhaustive()
    }
}

impl<P: Ports> Stage<P> {
    /// Makes the next tick's calls to `port` fail: through the wrappers, or for the AWS side of
    /// a moto schedule through the bridge (where the SDK meets them with its retries).
    pub fn arm_failure(&self, calls: CallFailure) {
        match &self.bridge {
            Some(bridge) if calls.port != Port::Members => {
                let failure = match calls.failure {
                    AwsFailure::Throttle => Failure::Throttle,
                    AwsFailure::ServerError => Failure::Drop,
                    AwsFailure::LostReply => Failure::Lost,
                };
                let times = usize::try_from(calls.times).unwrap_or(1);
                bridge.fail_next(calls.port.service(), None, times, failure);
            }
            _ => self.tap.arm_failure(calls),
        }
    }
}

/// The simulator for `shape`: RDS's timings on the manual clock, every member seeded with the
/// inventory only, the stranger configured but not started, binlogs kept a week as AWS's guide
/// for Group Replication asks.
async fn simulator(shape: &Shape) -> Result<Arc<Cluster>, StageError> {
    let names: Vec<String> = shape.members.iter().map(|m| m.name.clone()).collect();
    let inventory = shape.inventory();
    let mut config = SimConfig::new(names)
        .user(USER, PASSWORD)
        .manual(Timing::rds())
        .all_members(|m| {
            m.start_on_boot = shape.start_on_boot;
            m.seeds = Some(inventory.clone());
        });
    for member in &shape.members {
        config = config.member(&member.name, |m| {
            m.version = member.version;
            m.exit_state_action = member.exit_action;
            m.autorejoin_tries = member.autorejoin_tries;
            m.unreachable_majority_timeout = member.majority_timeout;
            m.joins_at_start = member.inventory;
        });
    }
    let sim = Arc::new(Cluster::start(config).await?);
    for member in &shape.members {
        let statement = "CALL mysql.rds_set_configuration('binlog retention hours', 168)";
        match run_statement(&sim, &member.name, statement).await {
            Ok(Reply::Done(_)) => {}
            other => {
                return Err(StageError::Setup {
                    member: member.name.clone(),
                    reason: format!("{other:?}"),
                });
            }
        }
    }
    Ok(sim)
}

/// grkeeper's connect timeout against the simulator. The simulator answers at once on loopback,
/// so these bounds are what a blackholed member (accepts, never answers) or one slower than the
/// query timeout costs in real time, on every probe while the fault lasts: a fifth of the 1 s
/// and 2 s used before, which made such schedules take 10-20 s. They stay some hundred times the
/// few milliseconds an answer takes, so a busy machine does not turn an answer into a timeout
/// (a batch's figures are the same at both; docs/testing.md, "Chaos").
pub const CONNECT_TIMEOUT_MS: u64 = 200;
/// grkeeper's query timeout against the simulator (see [`CONNECT_TIMEOUT_MS`]).
pub const QUERY_TIMEOUT_MS: u64 = 400;

/// grkeeper's configuration for the schedule, as its environment would give it.
fn config(
    schedule: &Schedule,
    sim: &Cluster,
    aws: &[(&'static str, String)],
) -> Result<Config, StageError> {
    let cluster = &schedule.shape.cluster;
    let policy =
        serde_json::to_value(&schedule.policy).map_err(|e| StageError::Config(e.to_string()))?;
    let mut env: BTreeMap<&str, String> = BTreeMap::from([
        (
            "GRKEEPER_SECRET_ARN",
            "unused: credentials given".to_owned(),
        ),
        ("GRKEEPER_TLS", "disabled".to_owned()),
        (
            "GRKEEPER_CONNECT_TIMEOUT_MS",
            CONNECT_TIMEOUT_MS.to_string(),
        ),
        ("GRKEEPER_QUERY_TIMEOUT_MS", QUERY_TIMEOUT_MS.to_string()),
        (
            "GRKEEPER_POLICY",
            serde_json::json!({ cluster.as_str(): policy }).to_string(),
        ),
    ]);
    env.extend(aws.iter().cloned());
    let mut config = Config::from_lookup(|name| env.get(name).cloned())
        .map_err(|e| StageError::Config(e.to_string()))?;
    config.endpoint_overrides = endpoint_overrides(sim);
    Ok(config)
}

fn tap(
    sim: &Arc<Cluster>,
    clock: &SimClock,
    config: &Config,
    cluster: &str,
    reader: Reader,
    inject: fn(Port) -> bool,
) -> Arc<Tap> {
    let instances = config
        .endpoint_overrides
        .as_map()
        .iter()
        .map(|(id, endpoint)| (endpoint.clone(), id.clone()))
        .collect();
    Tap::new(
        Arc::clone(sim),
        clock.clone(),
        cluster.to_owned(),
        instances,
        reader,
        inject,
    )
}

fn members(
    config: &Config,
    tap: &Arc<Tap>,
    planner: Option<UnsafePlanner>,
) -> Faulty<MysqlMembers> {
    let members = MysqlMembers::new(
        grkeeper::wiring::connect_settings(config),
        Credentials::new(USER, PASSWORD),
    );
    Faulty::new(members, Arc::clone(tap)).planted(planner)
}

impl Stage<InMemory> {
    /// The stage of `schedule` with the AWS side in memory.
    pub async fn in_memory(
        schedule: &Schedule,
        planner: Option<UnsafePlanner>,
    ) -> Result<Self, StageError> {
        let sim = simulator(&schedule.shape).await?;
        let cluster = schedule.shape.cluster.clone();
        let listed = format!("{cluster}={}", schedule.shape.inventory().join(","));
        let config = config(
            schedule,
            &sim,
            &[
                ("GRKEEPER_INSTANCES", listed),
                ("GRKEEPER_TABLE", "in-memory".to_owned()),
                ("GRKEEPER_TOPIC_ARN", "in-memory".to_owned()),
            ],
        )?;
        let clock = SimClock::new(Arc::clone(&sim));
        let journal = MemoryJournal::new();
        let reader = Reader::Memory(journal.clone());
        let tap = tap(&sim, &clock, &config, &cluster, reader, |_| true);
        let keeper = Keeper {
            rds: Faulty::new(SimRds::new(Arc::clone(&sim), &cluster), Arc::clone(&tap)),
            members: members(&config, &tap, planner),
            journal: Faulty::new(journal, Arc::clone(&tap)),
            notifier: Faulty::new(MemoryNotifier::new(), Arc::clone(&tap)),
            bus: Faulty::new(MemoryBus::new(), Arc::clone(&tap)),
            dns: MemoryZone::new(),
            clock: clock.clone(),
            config,
        };
        Ok(Stage {
            sim,
            keeper,
            tap,
            clock,
            cluster,
            bridge: None,
        })
    }
}

impl Stage<OnMoto> {
    /// The stage of `schedule` against `moto`: tagged instances, its own table, topic and bus,
    /// and a bridge of its own in front of moto.
    pub async fn on_moto(
        schedule: &Schedule,
        planner: Option<UnsafePlanner>,
        moto: &Moto,
    ) -> Result<Self, StageError> {
        let sim = simulator(&schedule.shape).await?;
        let cluster = schedule.shape.cluster.clone();
        let direct = moto.sdk_config().await;
        let (table, topic_arn, bus) = aws_resources(&direct, &schedule.shape).await?;
        let bridge = Bridge::start(moto, Arc::clone(&sim))
            .await
            .map_err(HarnessError::Listen)?;
        let bridged = bridge.sdk_config(moto).await;
        let config = config(
            schedule,
            &sim,
            &[
                ("GRKEEPER_CLUSTER_TAG", CLUSTER_TAG.to_owned()),
                ("GRKEEPER_CLUSTERS", cluster.clone()),
                ("GRKEEPER_TABLE", table.clone()),
                ("GRKEEPER_TOPIC_ARN", topic_arn.clone()),
                ("GRKEEPER_EVENT_BUS", bus.clone()),
            ],
        )?;
        let clock = SimClock::new(Arc::clone(&sim));
        let reader = Reader::Dynamo(DynamoJournal::new(
            aws_sdk_dynamodb::Client::new(&direct),
            table.clone(),
        ));
        let tap = tap(&sim, &clock, &config, &cluster, reader, |port| {
            port == Port::Members
        });
        let keeper = Keeper {
            rds: Faulty::new(
                AwsRds::new(aws_sdk_rds::Client::new(&bridged)),
                Arc::clone(&tap),
            ),
            members: members(&config, &tap, planner),
            journal: Faulty::new(
                DynamoJournal::new(aws_sdk_dynamodb::Client::new(&bridged), table),
                Arc::clone(&tap),
            ),
            notifier: Faulty::new(
                SnsNotifier::new(aws_sdk_sns::Client::new(&bridged), topic_arn),
                Arc::clone(&tap),
            ),
            bus: Faulty::new(
                EventBridgeBus::new(aws_sdk_eventbridge::Client::new(&bridged), bus),
                Arc::clone(&tap),
            ),
            dns: MemoryZone::new(),
            clock: clock.clone(),
            config,
        };
        Ok(Stage {
            sim,
            keeper,
            tap,
            clock,
            cluster,
            bridge: Some(bridge),
        })
    }
}

/// Deletes the instances, table and bus [`aws_resources`] made for `shape` once its schedule is
/// over (the topic stays: nothing lists topics). One moto serves a
/// whole batch, and every tick lists every instance it holds (grkeeper finds its clusters by
/// tag, and RDS filters no tags): left behind, the instances of the 200 moto schedules of a
/// 10,000-schedule batch made each tick of the last ones list about a thousand, seconds a tick
/// on a loaded machine, and one of them ran for 16 minutes.
pub async fn release_aws_resources(moto: &Moto, shape: &Shape) -> Result<(), StageError> {
    let aws = moto.sdk_config().await;
    let rds = aws_sdk_rds::Client::new(&aws);
    for member in &shape.members {
        rds.delete_db_instance()
            .db_instance_identifier(&member.name)
            .skip_final_snapshot(true)
            .send()
            .await
            .map_err(|e| HarnessError::aws("RDS.DeleteDBInstance", e))?;
    }
    aws_sdk_dynamodb::Client::new(&aws)
        .delete_table()
        .table_name(format!("{}-journal", shape.cluster))
        .send()
        .await
        .map_err(|e| HarnessError::aws("DynamoDB.DeleteTable", e))?;
    aws_sdk_eventbridge::Client::new(&aws)
        .delete_event_bus()
        .name(format!("{}-topology", shape.cluster))
        .send()
        .await
        .map_err(|e| HarnessError::aws("EventBridge.DeleteEventBus", e))?;
    Ok(())
}

/// The schedule's AWS resources in moto, named after its cluster: the inventory's instances
/// tagged with it (the stranger untagged), the journal table, the alert topic, the topology bus.
async fn aws_resources(
    aws: &SdkConfig,
    shape: &Shape,
) -> Result<(String, String, String), StageError> {
    let rds = aws_sdk_rds::Client::new(aws);
    for (index, member) in shape.members.iter().enumerate() {
        // The inventory kept by grkeeper's deployment already, so a tick acts from the start.
        let tags: &[(&str, &str)] = if member.inventory {
            &[
                (CLUSTER_TAG, shape.cluster.as_str()),
                (CLAIM_TAG, DEFAULT_DEPLOYMENT),
            ]
        } else {
            &[]
        };
        let version = member.version.to_string();
        let window = resources::maintenance_window(index);
        resources::db_instance(
            &rds,
            &member.name,
            "mysql",
            Some(&version),
            tags,
            None,
            Some(&window),
        )
        .await?;
    }
    let table = format!("{}-journal", shape.cluster);
    resources::journal_table(&aws_sdk_dynamodb::Client::new(aws), &table).await?;
    let topic = aws_sdk_sns::Client::new(aws)
        .create_topic()
        .name(format!("{}-alerts", shape.cluster))
        .send()
        .await
        .map_err(|e| HarnessError::aws("SNS.CreateTopic", e))?;
    let topic_arn = topic.topic_arn().unwrap_or_default().to_owned();
    let bus = format!("{}-topology", shape.cluster);
    aws_sdk_eventbridge::Client::new(aws)
        .create_event_bus()
        .name(&bus)
        .send()
        .await
        .map_err(|e| HarnessError::aws("EventBridge.CreateEventBus", e))?;
    Ok((table, topic_arn, bus))
}
