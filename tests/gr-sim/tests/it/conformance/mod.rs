//! The simulator held to MySQL's own Group Replication test suite
//! (`mysql-test/suite/group_replication/` in mysql/mysql-server): each test here replays one
//! original `.test` through mysql_async and the simulator's fault controls and asserts what the
//! recorded `.result` and its `assert.inc` checks assert. Each names its original; the table in
//! `tests/gr-sim/CONFORMANCE.md` lists them with what remains simplified.
//!
//! How the originals' tools map here:
//! - a server stopped with SIGSTOP (`gr_expel_member_from_group.inc`) is a member cut off by a
//!   partition, resumed by healing it;
//! - `--shutdown_server 0` and `kill_and_restart_mysqld.inc` are `Cluster::crash` and
//!   `Cluster::restart`; `restart_mysqld.inc` (a clean restart) is an RDS reboot;
//! - `START/STOP GROUP_REPLICATION` are the RDS procedures that wrap them;
//! - settings the originals change with `SET GLOBAL` (refused on RDS) are set per member before
//!   the cluster starts, one test per setting where an original changes it mid-way;
//! - debug points that fake a version are members configured with that version.
//!
//! Time is the manual clock: every wait is an `advance` of simulated seconds.

mod autorejoin;
mod exit_action;
mod joins;
mod majority;
mod suspicion;
mod tables;

use std::time::Duration;

use gr_sim::{Cluster, ExitStateAction, SimConfig};
use mysql_async::Conn;
use mysql_async::prelude::*;

use crate::support::*;

pub const SECOND: Duration = Duration::from_secs(1);

/// A cluster as mysql-test's group_replication suite runs its servers: exit action READ_ONLY
/// (the suite's `my.cnf`), no auto-rejoin and no start on boot unless a test asks for them.
pub fn suite(n: usize) -> SimConfig {
    SimConfig::with_members(n).all_members(|m| {
        m.exit_state_action = ExitStateAction::ReadOnly;
        m.autorejoin_tries = 0;
        m.start_on_boot = false;
    })
}

/// Starts `cfg`.
pub async fn start(cfg: SimConfig) -> Cluster {
    Cluster::start(cfg).await.unwrap()
}

/// One row of `performance_schema.replication_group_members`, the member named by instance id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub name: String,
    pub state: String,
    pub role: String,
    pub version: String,
}

/// `replication_group_members` as `viewer` reports it over SQL.
pub async fn members(sim: &Cluster, viewer: &str) -> Vec<MemberRow> {
    let mut conn = connect(sim, viewer).await;
    let rows: Vec<(String, String, String, String)> = bounded(conn.query(
        "SELECT MEMBER_ID, MEMBER_STATE, MEMBER_ROLE, MEMBER_VERSION \
         FROM performance_schema.replication_group_members",
    ))
    .await
    .unwrap();
    let truth = sim.truth();
    rows.into_iter()
        .map(|(id, state, role, version)| MemberRow {
            name: truth
                .members
                .iter()
                .find(|m| m.server_uuid == id)
                .map_or(id, |m| m.name.clone()),
            state,
            role,
            version,
        })
        .collect()
}

/// How many rows of `viewer`'s members table are in `state` (`gr_wait_for_member_state.inc`
/// and the originals' `COUNT(*) ... WHERE MEMBER_STATE=` conditions).
pub async fn count_in(sim: &Cluster, viewer: &str, state: &str) -> usize {
    members(sim, viewer)
        .await
        .iter()
        .filter(|r| r.state == state)
        .count()
}

/// The number of rows of `viewer`'s members table (`gr_wait_for_number_of_members.inc`).
pub async fn group_size(sim: &Cluster, viewer: &str) -> usize {
    members(sim, viewer).await.len()
}

/// `member`'s MEMBER_STATE in `viewer`'s table, if listed.
pub async fn state_seen(sim: &Cluster, viewer: &str, member: &str) -> Option<String> {
    members(sim, viewer)
        .await
        .into_iter()
        .find(|r| r.name == member)
        .map(|r| r.state)
}

/// A system variable as an integer (`@@super_read_only`, `@@offline_mode`, ...).
pub async fn flag(conn: &mut Conn, variable: &str) -> i64 {
    let value: Vec<i64> = bounded(conn.query(format!("SELECT {variable}")))
        .await
        .unwrap();
    value[0]
}

/// `(super_read_only, read_only, offline_mode)` of a connectable member.
pub async fn modes(sim: &Cluster, name: &str) -> (i64, i64, i64) {
    let mut conn = connect(sim, name).await;
    (
        flag(&mut conn, "@@super_read_only").await,
        flag(&mut conn, "@@read_only").await,
        flag(&mut conn, "@@offline_mode").await,
    )
}

/// `(ERROR_CODE, DATA)` of every Repl line of the member's error log, oldest first.
pub async fn repl_log(sim: &Cluster, name: &str) -> Vec<(String, String)> {
    let mut conn = connect(sim, name).await;
    bounded(conn.query(
        "SELECT ERROR_CODE, DATA FROM performance_schema.error_log WHERE SUBSYSTEM = 'Repl' \
         ORDER BY LOGGED",
    ))
    .await
    .unwrap()
}

/// How many error-log lines contain `text` (`assert_grep.inc`).
pub async fn log_count(sim: &Cluster, name: &str, text: &str) -> usize {
    repl_log(sim, name)
        .await
        .iter()
        .filter(|(_, data)| data.contains(text))
        .count()
}

/// `CALL mysql.rds_group_replication_start(bootstrap)` on `name`; the server error code on
/// failure.
pub async fn start_gr(sim: &Cluster, name: &str, bootstrap: bool) -> Result<String, u16> {
    let mut conn = connect(sim, name).await;
    let sql = format!(
        "CALL mysql.rds_group_replication_start({})",
        u8::from(bootstrap)
    );
    call(&mut conn, &sql)
        .await
        .map(Option::unwrap_or_default)
        .map_err(|e| code(&e))
}

/// `CALL mysql.rds_group_replication_stop()` on `name` (`stop_group_replication.inc`): it must
/// succeed, leave the member OFFLINE, super-read-only and read-only, and its applier channel OFF.
pub async fn stop_gr(sim: &Cluster, name: &str) {
    let mut conn = connect(sim, name).await;
    let message = call(&mut conn, "CALL mysql.rds_group_replication_stop()")
        .await
        .unwrap();
    assert_eq!(
        message.as_deref(),
        Some("Group replication stopped successfully.")
    );
    let applier: Vec<String> = bounded(conn.query(
        "SELECT SERVICE_STATE FROM performance_schema.replication_connection_status \
         WHERE CHANNEL_NAME = 'group_replication_applier'",
    ))
    .await
    .unwrap();
    assert_eq!(applier, ["OFF"], "{name}'s applier channel after STOP");
    assert_eq!(flag(&mut conn, "@@super_read_only").await, 1);
    assert_eq!(flag(&mut conn, "@@read_only").await, 1);
}

/// Cuts `name` off from every other member (the originals' SIGSTOP).
pub fn isolate(sim: &Cluster, name: &str) {
    let others: Vec<&str> = sim
        .names()
        .iter()
        .map(String::as_str)
        .filter(|n| *n != name)
        .collect();
    sim.partition(&[&[name], &others]).unwrap();
}

/// mysqld on `name` starts again (after a crash or an abort), and its port answers.
pub async fn restart(sim: &Cluster, name: &str) {
    sim.restart(name).unwrap();
    listening(sim, name).await;
}

/// Waits (bounded) until `name`'s listener, re-bound after a boot, accepts a connection.
pub async fn listening(sim: &Cluster, name: &str) {
    bounded(async {
        while Conn::new(opts(sim, name)).await.is_err() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

/// The member's connection is gone: mysqld is down (ABORT_SERVER, a crash).
pub async fn is_down(sim: &Cluster, name: &str) -> bool {
    !sim.truth().member(name).unwrap().up && bounded(Conn::new(opts(sim, name))).await.is_err()
}
