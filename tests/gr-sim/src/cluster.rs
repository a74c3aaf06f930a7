//! `Cluster`: starts the members' listeners (and the real-time clock driver), and is the Rust
//! control API tests use: addresses, time, faults, ground truth, the RDS side, HTTP control.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::clock::{self, Clock};
use crate::config::{ClockMode, SimConfig};
use crate::errors::SimError;
use crate::faults::Fault;
use crate::grants::Grants;
use crate::gtid::is_uuid;
use crate::model::World;
use crate::rds::Rds;
use crate::server;
use crate::shared::Shared;
use crate::truth::Truth;

/// Wall clock shown at simulated time zero on the manual clock (2026-01-01T00:00:00Z), so
/// error-log timestamps are the same in every run.
const MANUAL_EPOCH_MICROS: i64 = 1_767_225_600_000_000;

/// A running simulated cluster. Dropping it stops every listener and connection.
#[derive(Debug)]
pub struct Cluster {
    shared: Arc<Shared>,
    names: Vec<String>,
    tasks: Vec<JoinHandle<()>>,
}

impl Cluster {
    /// Binds every member on 127.0.0.1 and starts serving.
    pub async fn start(cfg: SimConfig) -> Result<Cluster, SimError> {
        validate(&cfg)?;
        let mut listeners = Vec::new();
        for i in 0..cfg.members.len() {
            let port = match cfg.port_base {
                0 => 0,
                base => base
                    .checked_add(u16::try_from(i).unwrap_or(u16::MAX))
                    .ok_or_else(|| SimError::Config("port base too high".to_string()))?,
            };
            listeners.push(TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?);
        }
        let addrs = listeners
            .iter()
            .map(TcpListener::local_addr)
            .collect::<Result<Vec<_>, _>>()?;
        let epoch = match cfg.clock {
            ClockMode::Manual => MANUAL_EPOCH_MICROS,
            ClockMode::RealTime => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX)),
        };
        let world = World::new(&cfg, epoch)?;
        let shared = Arc::new(Shared::new(
            world,
            Clock::new(cfg.clock),
            (cfg.user.clone(), cfg.password.clone()),
            cfg.operator.clone(),
            cfg.auth,
            match &cfg.grants {
                Some(lines) => Grants::new(&cfg.user, lines),
                None => Grants::master_user(&cfg.user),
            },
            addrs,
        ));
        let mut tasks: Vec<JoinHandle<()>> = listeners
            .into_iter()
            .enumerate()
            .map(|(m, l)| server::spawn_member(Arc::clone(&shared), m, l))
            .collect();
        if cfg.clock == ClockMode::RealTime {
            tasks.push(clock::spawn_driver(Arc::clone(&shared)));
        }
        Ok(Cluster {
            shared,
            names: cfg.names(),
            tasks,
        })
    }

    /// Instance ids, in configuration order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Where member `name` listens.
    pub fn addr(&self, name: &str) -> Result<SocketAddr, SimError> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|m| self.shared.addrs[m])
            .ok_or_else(|| SimError::UnknownMember(name.to_string()))
    }

    /// `mysql://user:password@127.0.0.1:port` for member `name`, as the master user.
    pub fn url(&self, name: &str) -> Result<String, SimError> {
        self.url_as(name, &self.shared.user, &self.shared.password)
    }

    /// The same as the person's own account ([`SimConfig::operator`]).
    pub fn operator_url(&self, name: &str) -> Result<String, SimError> {
        let (user, password) = &self.shared.operator;
        self.url_as(name, user, password)
    }

    fn url_as(&self, name: &str, user: &str, password: &str) -> Result<String, SimError> {
        let addr = self.addr(name)?;
        Ok(format!(
            "mysql://{user}:{password}@{}:{}",
            addr.ip(),
            addr.port()
        ))
    }

    /// The master user every member accepts.
    pub fn user(&self) -> &str {
        &self.shared.user
    }

    /// Its password.
    pub fn password(&self) -> &str {
        &self.shared.password
    }

    /// Simulated time since start.
    pub fn now(&self) -> Duration {
        self.shared.with(|w| w.now)
    }

    /// Manual clock: lets `d` of simulated time pass, firing every timed rule in order.
    pub fn advance(&self, d: Duration) -> Result<(), SimError> {
        if self.shared.clock.mode() != ClockMode::Manual {
            return Err(SimError::WrongClock(
                "advance needs the manual clock; in real time, use wait_for",
            ));
        }
        self.shared.with(|w| w.advance_to(w.now + d));
        Ok(())
    }

    /// The true state of every member and group.
    pub fn truth(&self) -> Truth {
        self.shared.with(|w| Truth::of(w))
    }

    /// Waits (real time) until `done` holds for the truth, checking after every change.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&Truth) -> bool,
    ) -> Result<Truth, SimError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changed = self.shared.subscribe();
        loop {
            let truth = self.truth();
            if done(&truth) {
                return Ok(truth);
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return Err(SimError::Timeout(timeout)),
            }
        }
    }

    /// Injects a fault; returns the GTIDs it committed, if any.
    pub fn inject(&self, fault: Fault) -> Result<Vec<String>, SimError> {
        self.shared.with(|w| w.inject(&fault))
    }

    /// The RDS control plane (RebootDBInstance, StopDBInstance, StartDBInstance, statuses).
    pub fn rds(&self) -> Rds<'_> {
        Rds {
            shared: &self.shared,
        }
    }

    /// mysqld on `name` dies.
    pub fn crash(&self, name: &str) -> Result<(), SimError> {
        self.inject(Fault::Crash {
            member: name.to_string(),
        })
        .map(drop)
    }

    /// mysqld on `name` starts again.
    pub fn restart(&self, name: &str) -> Result<(), SimError> {
        self.inject(Fault::Restart {
            member: name.to_string(),
        })
        .map(drop)
    }

    /// Splits the network into these sides (members not named form one more side).
    pub fn partition(&self, sides: &[&[&str]]) -> Result<(), SimError> {
        let sides = sides
            .iter()
            .map(|side| side.iter().map(|s| s.to_string()).collect())
            .collect();
        self.inject(Fault::Partition { sides }).map(drop)
    }

    /// Ends every partition.
    pub fn heal(&self) -> Result<(), SimError> {
        self.inject(Fault::Heal).map(drop)
    }

    /// Commits `count` write transactions on `name`, returning their GTIDs.
    pub fn commit(&self, name: &str, count: u64) -> Result<Vec<String>, SimError> {
        self.inject(Fault::Commit {
            member: name.to_string(),
            count,
        })
    }

    /// Starts the JSON-over-HTTP control on 127.0.0.1:`port` (0 picks a free port).
    pub async fn serve_http(&mut self, port: u16) -> Result<SocketAddr, SimError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let names = self.names.clone();
        self.tasks.push(crate::http::spawn(
            Arc::clone(&self.shared),
            names,
            listener,
        ));
        Ok(addr)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn validate(cfg: &SimConfig) -> Result<(), SimError> {
    let n = cfg.members.len();
    if !(1..=9).contains(&n) {
        return Err(SimError::Config(format!(
            "an RDS GR cluster has 1 to 9 members, not {n}"
        )));
    }
    if let Some(name) = cfg.unknown.first() {
        return Err(SimError::UnknownMember(name.clone()));
    }
    let mut names = cfg.names();
    names.sort();
    names.dedup();
    if names.len() != n || names.iter().any(|s| s.is_empty()) {
        return Err(SimError::Config(
            "member names must be unique and non-empty".to_string(),
        ));
    }
    if let Some(spec) = cfg
        .members
        .iter()
        .find(|m| m.initialization_gtids > 0 && !m.version.writes_initialization_gtids())
    {
        return Err(SimError::Config(format!(
            "{} runs {}: RDS writes initialization GTIDs on 9.7 instances only",
            spec.name, spec.version
        )));
    }
    if !is_uuid(&cfg.group_name) {
        return Err(SimError::Config(format!(
            "group name '{}' is not a UUID",
            cfg.group_name
        )));
    }
    Ok(())
}
