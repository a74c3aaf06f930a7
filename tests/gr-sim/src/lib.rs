//! `gr_sim`: a stand-in for an Amazon RDS for MySQL Group Replication (multi-primary) cluster.
//!
//! Each member is a MySQL-protocol server on its own 127.0.0.1 port, named by its RDS instance
//! id, sharing one group model written from the documented RDS and Group Replication behaviour
//! (`docs/group-replication.md`: RDS procedures, GR member states, views, quorum, expulsion, exit
//! actions, version and GTID rules), not from grkeeper's model, so the two check each other. Real clients (mysql_async, Oracle's
//! mysql-connector-python) connect to it; tests inject faults and read the ground truth.
//!
//! It is held to MySQL's own Group Replication test suite: `tests/it/conformance/` replays 41 of
//! its scripts, and `CONFORMANCE.md` (next to this crate's `Cargo.toml`) lists each with what is
//! checked and the simplifications that remain, so a reader knows how far to trust it.
//!
//! # Usage
//!
//! ```no_run
//! # async fn demo() -> Result<(), gr_sim::SimError> {
//! use std::time::Duration;
//! use gr_sim::{Cluster, SimConfig, Timing};
//!
//! // Manual clock (the default): time moves only when the test says so.
//! let sim = Cluster::start(SimConfig::new(["db1", "db2", "db3"]).user("admin", "secret")).await?;
//! let addr = sim.addr("db2")?; // connect any MySQL client here
//! sim.crash("db2")?;
//! sim.advance(Duration::from_secs(11))?; // ~5 s detection + 5 s expel timeout
//! assert_eq!(sim.truth().groups[0].view, ["db1", "db3"]);
//! sim.rds().reboot("db2")?; // RebootDBInstance: rebooting, then available
//!
//! // Real time, for end-to-end tests running code with real timeouts:
//! let live = Cluster::start(SimConfig::with_members(3).real_time(Timing::fast())).await?;
//! live.crash("db3")?;
//! live.wait_for(Duration::from_secs(2), |t| t.groups[0].view.len() == 2).await?;
//! # Ok(()) }
//! ```
//!
//! Members report `@@port` and `MEMBER_PORT` 3306 and an internal `@@hostname` as RDS does;
//! clients reach them at `Cluster::addr`. `SimConfig::with_members(n)` names them `db1`…`dbN`;
//! `MemberSpec` (through `SimConfig::member`/`all_members`) sets version, exit action,
//! auto-rejoin tries, expel and majority timeouts, start on boot, seeds, plugin enabled.
//!
//! Start states: `StartState::Online` (the default: bootstrapped by the first member, all
//! ONLINE), `StartState::Stopped` (GR stopped everywhere after having run), and
//! `StartState::Unconfigured` (fresh instances). Faults are `Fault` values (also accepted as
//! JSON by the HTTP control, see `http`); `Cluster::truth` returns `Truth`.
//!
//! # Layout
//!
//! - `config`: `SimConfig`, `MemberSpec`, `Timing` (every duration), clock mode, auth plugin
//! - `model/`: the group model, sans-IO: `member` (one instance), `group` (views, reachability,
//!   quorum, expulsion), `join` (START/STOP, joiner checks, recovery), `leave` (ERROR, exit
//!   action, auto-rejoin, start at boot), `lifecycle` (crash, boot, RDS transitions), `writes`
//!   (read-only, blocking, GTIDs), `errlog` (error-log lines), `ledger` (every GTID issued and
//!   every bootstrap, for checkers)
//! - `clock`: manual or real-time clock and the real-time driver task
//! - `shared`: the model behind its lock, with a change notification
//! - `wire/`: packet framing, handshake and authentication, response encoding
//! - `server`: per-member listener and connection loop (blackhole, latency, offline mode)
//! - `sql/`: parsing (sqlparser, MySQL dialect), SELECT evaluation, variables, SET,
//!   transactions and writes, the RDS stored procedures
//! - `tables`: performance_schema and mysql.rds_* tables built from the model
//! - `faults`, `truth`, `rds`, `http`: the control API (faults, ground truth, RDS control
//!   plane, JSON-over-HTTP)
//! - `cluster`: `Cluster`, the entry point tying it together
//! - `gtid`, `version`: GTID sets and server versions

mod clock;
mod cluster;
mod config;
mod errors;
mod faults;
mod grants;
pub mod gtid;
mod http;
mod model;
mod rds;
mod server;
mod shared;
mod sql;
mod tables;
mod truth;
mod version;
mod wire;

pub use cluster::Cluster;
pub use config::{Auth, ClockMode, ExitStateAction, MemberSpec, SimConfig, StartState, Timing};
pub use errors::{SimError, SqlError};
pub use faults::Fault;
pub use grants::ACCOUNT;
pub use gtid::GtidSet;
pub use model::ledger::{Bootstrap, Reuse};
pub use rds::{InstanceInfo, InstanceStatus, PendingMaintenance, Rds, RdsError, RdsEvent};
pub use truth::{GroupTruth, MemberTruth, Truth};
pub use version::Version;
