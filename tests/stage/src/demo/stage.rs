//! The demo's stage: a simulated cluster `orders` of three members on loopback, and a keeper
//! wired to it as a Lambda's is to RDS: the real configuration reader, the real MySQL probe over
//! TCP (TLS off), the same tick. The AWS side is in memory: RDS is the simulator's control plane
//! ([`SimRds`]), the journal, the alerts and the topology events are kept in memory.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gr_sim::{Cluster, SimConfig, Timing, Truth};
use grkeeper::adapters::mysql::MysqlMembers;
use grkeeper::config::Config;
use grkeeper::keeper::{ClusterOutcome, ClusterReport, Keeper};
use grkeeper::ports::Ports;
use grkeeper::ports::dns_zone::MemoryZone;
use grkeeper::ports::journal::MemoryJournal;
use grkeeper::ports::notifier::MemoryNotifier;
use grkeeper::ports::secrets::Credentials;
use grkeeper::ports::topology_bus::MemoryBus;
use grkeeper::report::AlertMessage;
use grkeeper::report::topology::TopologyEvent;
use grkeeper_cli::{Failure, operator, scope};

use super::clock::DemoClock;
use crate::sim::{SimRds, endpoint_overrides};

/// The cluster's name (as in `events/` and the end-to-end tests).
pub const CLUSTER: &str = "orders";
/// Its instances.
pub const MEMBERS: [&str; 3] = ["orders-1", "orders-2", "orders-3"];

/// The simulator's durations: GR's own, scaled down about 100 times.
pub fn timing() -> Timing {
    Timing::fast()
}

/// Every wait on the simulator gives up after this (it settles in well under a second).
const WAIT: Duration = Duration::from_secs(20);

/// `group_replication_unreachable_majority_timeout` of every member, in seconds: a member cut
/// off from the majority gives up after it (the default, 0, waits for ever), so that a partition
/// ends with the member expelled into offline mode instead of hung.
const MAJORITY_TIMEOUT: u32 = 2;

/// The demo's adapters: the functions' MySQL probe, RDS played by the simulator, the rest of
/// the AWS side in memory, and a clock the demo moves forward.
#[derive(Debug)]
pub enum Demo {}

impl Ports for Demo {
    type Rds = SimRds;
    type Members = MysqlMembers;
    type Journal = MemoryJournal;
    type Notifier = MemoryNotifier;
    type Bus = MemoryBus;
    type Dns = MemoryZone;
    type Clock = DemoClock;
}

/// The keeper the demo runs: the functions' keeper with the AWS side in memory.
pub type DemoKeeper = Keeper<Demo>;

/// The running simulator and the keeper looking after it.
pub struct Stage {
    /// The simulated cluster: faults and ground truth.
    pub sim: Arc<Cluster>,
    /// The keeper.
    pub keeper: DemoKeeper,
    /// Alerts already printed.
    alerts_shown: usize,
    /// Topology events already printed.
    events_shown: usize,
}

impl Stage {
    /// Starts the simulator (every member ONLINE) and builds the keeper.
    pub async fn start() -> Result<Stage, Failure> {
        let config = SimConfig::new(MEMBERS)
            .user("grkeeper", "demo-password")
            .real_time(timing())
            .all_members(|member| member.unreachable_majority_timeout = MAJORITY_TIMEOUT)
            // Act 1: GR does not start by itself when orders-2 restarts.
            .member("orders-2", |member| member.start_on_boot = false);
        let sim = Arc::new(
            Cluster::start(config)
                .await
                .map_err(|e| Failure::Failed(format!("the simulator did not start: {e}")))?,
        );
        let mut config = Config::from_lookup(environment).map_err(|e| {
            Failure::Failed(format!("the demo's own configuration is invalid: {e}"))
        })?;
        config.endpoint_overrides = endpoint_overrides(&sim);
        let members = MysqlMembers::new(
            grkeeper::wiring::connect_settings(&config),
            Credentials::new(sim.user(), sim.password()),
        );
        let keeper = Keeper {
            rds: SimRds::kept_by(Arc::clone(&sim), CLUSTER, &config.deployment),
            members,
            journal: MemoryJournal::new(),
            notifier: MemoryNotifier::new(),
            bus: MemoryBus::new(),
            dns: MemoryZone::new(),
            clock: DemoClock::default(),
            config,
        };
        Ok(Stage {
            sim,
            keeper,
            alerts_shown: 0,
            events_shown: 0,
        })
    }

    /// One tick of the cluster, as `grkeeper tick` (or `--dry-run`) runs it.
    pub async fn tick(&self, dry_run: bool) -> Result<ClusterReport, Failure> {
        let trigger = scope::sweep(Some(CLUSTER), None)?;
        let summary = self
            .keeper
            .tick(&trigger, &operator::tick_options(dry_run))
            .await
            .map_err(|e| Failure::Failed(format!("the tick could not start: {e}")))?;
        let report = summary
            .clusters
            .into_iter()
            .next()
            .ok_or_else(|| Failure::Failed(format!("the tick did not tick {CLUSTER}")))?;
        if report.outcome == ClusterOutcome::Failed {
            return Err(Failure::Failed(format!(
                "the tick failed: {}",
                report.error.as_deref().unwrap_or("no error given")
            )));
        }
        Ok(report)
    }

    /// How many alerts were published so far: a mark for [`Stage::sent_since`].
    pub fn sent(&self) -> usize {
        self.keeper.notifier.sent().len()
    }

    /// The alerts published since `mark` ([`Stage::sent`]).
    pub fn sent_since(&self, mark: usize) -> Vec<AlertMessage> {
        let sent = self.keeper.notifier.sent();
        sent.get(mark..).unwrap_or_default().to_vec()
    }

    /// Alerts published since the last call.
    pub fn new_alerts(&mut self) -> Vec<AlertMessage> {
        let sent = self.keeper.notifier.sent();
        let new = sent.get(self.alerts_shown..).unwrap_or_default().to_vec();
        self.alerts_shown = sent.len();
        new
    }

    /// Topology events put since the last call.
    pub fn new_events(&mut self) -> Vec<TopologyEvent> {
        let put = self.keeper.bus.events();
        let new = put.get(self.events_shown..).unwrap_or_default().to_vec();
        self.events_shown = put.len();
        new
    }

    /// Waits (bounded) until the simulator's ground truth satisfies `done`, saying so.
    pub async fn wait_until(
        &self,
        what: &str,
        done: impl Fn(&Truth) -> bool,
    ) -> Result<Truth, Failure> {
        print!("  … waiting until {what}");
        let _ = std::io::stdout().flush();
        let started = Instant::now();
        match self.sim.wait_for(WAIT, done).await {
            Ok(truth) => {
                println!(" ({:.1} s)", started.elapsed().as_secs_f64());
                Ok(truth)
            }
            Err(_) => {
                println!(" — not within {} s", WAIT.as_secs());
                Err(Failure::Failed(format!(
                    "{what}: not within {} s; the simulator's ground truth: {}",
                    WAIT.as_secs(),
                    self.sim.truth().summary()
                )))
            }
        }
    }
}

/// The demo's configuration, in the variables a deployment sets (`docs/configuration.md`).
fn environment(name: &str) -> Option<String> {
    let value = match name {
        "GRKEEPER_INSTANCES" => return Some(format!("{CLUSTER}={}", MEMBERS.join(","))),
        // The AWS side is in memory: these name nothing, but a deployment must set them.
        "GRKEEPER_SECRET_ARN" | "GRKEEPER_TABLE" => "in-memory",
        // Alerts name the account and Region of their topic, and the deployment.
        "GRKEEPER_TOPIC_ARN" => "arn:aws:sns:eu-west-1:123456789012:grkeeper-demo-alerts",
        "GRKEEPER_DEPLOYMENT" => "grkeeper-demo",
        "GRKEEPER_TLS" => "disabled",
        // Loopback answers at once; the fast simulator settles in well under a second.
        "GRKEEPER_CONNECT_TIMEOUT_MS" => "1000",
        "GRKEEPER_QUERY_TIMEOUT_MS" => "2000",
        "GRKEEPER_VERIFY_TIMEOUT_SECS" => "20",
        "GRKEEPER_LEASE_SECS" => "60",
        _ => return None,
    };
    Some(value.to_owned())
}
