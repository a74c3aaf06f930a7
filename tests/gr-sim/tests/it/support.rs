//! Helpers shared by the integration tests: starting clusters, connecting mysql_async with a
//! bound on every wait, and (`probe`) the statements grkeeper's probe sends.

pub mod probe;

use std::process::Stdio;
use std::time::Duration;

use gr_sim::{Cluster, SimConfig};
use mysql_async::prelude::*;
use mysql_async::{Conn, Opts, Row};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Longest any single client operation may take in a test before it counts as hung.
pub const BOUND: Duration = Duration::from_secs(10);

/// Starts `command` with piped stdio. The child is killed when its handle is dropped, so no exit
/// path of a test (a bound firing, a failed assertion) leaves it running.
pub fn spawn(command: &mut tokio::process::Command) -> tokio::process::Child {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// A manual-clock cluster of `db1` … `dbN`, all ONLINE.
pub async fn cluster(n: usize) -> Cluster {
    Cluster::start(SimConfig::with_members(n)).await.unwrap()
}

/// mysql_async options for a member, with the client's defaults (it sends its connect query).
pub fn opts(sim: &Cluster, name: &str) -> Opts {
    Opts::from_url(&sim.url(name).unwrap()).unwrap()
}

/// Options as grkeeper's probe sets them: no connect query, no socket.
pub fn probe_opts(sim: &Cluster, name: &str) -> Opts {
    probe::options(opts(sim, name))
}

/// Connects to `name`, failing the test instead of hanging.
pub async fn connect(sim: &Cluster, name: &str) -> Conn {
    bounded(Conn::new(opts(sim, name))).await.unwrap()
}

/// The connect error of `name` (the test fails if the connection succeeds).
pub async fn connect_error(sim: &Cluster, name: &str) -> mysql_async::Error {
    match bounded(Conn::new(opts(sim, name))).await {
        Ok(_) => panic!("connecting to {name} should fail"),
        Err(e) => e,
    }
}

/// Waits at most `BOUND` for `f`.
pub async fn bounded<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(BOUND, f)
        .await
        .expect("client operation hung")
}

/// Runs a query and returns its rows.
pub async fn rows(conn: &mut Conn, sql: &str) -> Vec<Row> {
    bounded(conn.query::<Row, _>(sql)).await.unwrap()
}

/// Runs a query returning one text column and returns it.
pub async fn column(conn: &mut Conn, sql: &str) -> Vec<String> {
    bounded(conn.query::<String, _>(sql)).await.unwrap()
}

/// The server error code of a failed query.
pub async fn error_code(conn: &mut Conn, sql: &str) -> u16 {
    match bounded(conn.query_drop(sql)).await {
        Err(mysql_async::Error::Server(e)) => e.code,
        other => panic!("{sql} should fail with a server error, got {other:?}"),
    }
}

/// Server error code of any mysql_async error (0 when it is not a server error).
pub fn code(e: &mysql_async::Error) -> u16 {
    match e {
        mysql_async::Error::Server(e) => e.code,
        _ => 0,
    }
}

/// MEMBER_STATE per MEMBER_HOST as `name` reports them, in table order.
pub async fn states(sim: &Cluster, name: &str) -> Vec<(String, String)> {
    let mut conn = connect(sim, name).await;
    let out = bounded(conn.query::<(String, String), _>(
        "SELECT MEMBER_ID, MEMBER_STATE FROM performance_schema.replication_group_members",
    ))
    .await
    .unwrap();
    let truth = sim.truth();
    out.into_iter()
        .map(|(id, state)| {
            let member = truth
                .members
                .iter()
                .find(|m| m.server_uuid == id)
                .map(|m| m.name.clone())
                .unwrap_or(id);
            (member, state)
        })
        .collect()
}

/// `(name, state)` pairs from string slices.
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Calls a stored procedure and returns its message row, draining every result set.
pub async fn call(conn: &mut Conn, sql: &str) -> Result<Option<String>, mysql_async::Error> {
    let mut result = bounded(conn.query_iter(sql)).await?;
    let mut message = None;
    while !result.is_empty() {
        let rows: Vec<String> = bounded(result.collect()).await?;
        if message.is_none() {
            message = rows.into_iter().next();
        }
    }
    Ok(message)
}

/// One request over a fresh connection; returns (status, JSON body).
pub async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = bounded(tokio::net::TcpStream::connect(addr)).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    bounded(stream.read_to_string(&mut response)).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let json = response.split_once("\r\n\r\n").unwrap().1;
    (status, serde_json::from_str(json).unwrap())
}
