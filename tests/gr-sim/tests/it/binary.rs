//! The `gr-sim` binary as a person or another process runs it: it prints each member's address
//! and the control URL, serves MySQL clients and takes faults over its HTTP control.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use mysql_async::prelude::*;
use mysql_async::{Conn, Opts};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::support::*;

/// What the binary prints before it serves: member addresses by name, and the control address.
#[derive(Debug, Default)]
struct Banner {
    members: BTreeMap<String, SocketAddr>,
    control: Option<SocketAddr>,
}

impl Banner {
    /// Takes in one printed line; true once the binary says it serves.
    fn read(&mut self, line: &str) -> bool {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["control", url] => {
                let addr = url.trim_start_matches("http://").split_whitespace().next();
                self.control = addr.and_then(|a| a.parse().ok());
            }
            [name, addr, ..] => {
                if let Ok(addr) = addr.parse() {
                    self.members.insert(name.to_string(), addr);
                }
            }
            _ => {}
        }
        line.starts_with("serving until")
    }
}

#[tokio::test]
async fn the_binary_prints_its_addresses_serves_clients_and_takes_a_fault_over_http() {
    // Port 0 (the default) lets the system pick free ports; the child dies with its handle.
    let mut child = spawn(Command::new(env!("CARGO_BIN_EXE_gr-sim")).args(["--members", "3"]));
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = Banner::default();
    bounded(async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if banner.read(&line) {
                return;
            }
        }
        panic!("gr-sim ended before serving: {banner:?}");
    })
    .await;
    assert_eq!(
        banner.members.keys().collect::<Vec<_>>(),
        ["db1", "db2", "db3"]
    );
    assert!(banner.members.values().all(|a| a.ip().is_loopback()));
    let control = banner.control.unwrap();
    assert!(control.ip().is_loopback());

    let url = format!("mysql://admin:secret@{}", banner.members["db1"]);
    let mut conn = bounded(Conn::new(Opts::from_url(&url).unwrap()))
        .await
        .unwrap();
    let states: Vec<String> = bounded(
        conn.query("SELECT MEMBER_STATE FROM performance_schema.replication_group_members"),
    )
    .await
    .unwrap();
    assert_eq!(states, ["ONLINE", "ONLINE", "ONLINE"]);

    let crash = json!({"fault": "crash", "member": "db3"});
    let (status, _) = http(control, "POST", "/faults", Some(crash)).await;
    assert_eq!(status, 200);
    let (_, truth) = http(control, "GET", "/truth", None).await;
    assert_eq!(truth["members"][2]["up"], false);
    // The crashed member's port closes as soon as its listener sees the crash.
    bounded(async {
        while tokio::net::TcpStream::connect(banner.members["db3"])
            .await
            .is_ok()
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;

    bounded(conn.disconnect()).await.unwrap();
    bounded(child.kill()).await.unwrap();
}
