//! The tables a member answers SELECTs on, built from the model as that member sees it:
//! performance_schema's GR tables, `error_log`, `events_stages_current`, and RDS's
//! `mysql.rds_configuration` and `mysql.rds_history`.

use std::time::Duration;

use crate::gtid::GtidSet;
use crate::model::World;
use crate::model::member::{Gr, Phase};
use crate::sql::value::Kind::{Int, Str, Timestamp};
use crate::sql::value::{Kind, Value};

/// A table's name and columns.
#[derive(Debug)]
pub(crate) struct Table {
    pub schema: &'static str,
    pub name: &'static str,
    pub columns: &'static [(&'static str, Kind)],
}

const TABLES: &[Table] = &[
    Table {
        schema: "performance_schema",
        name: "replication_group_members",
        columns: &[
            ("CHANNEL_NAME", Str),
            ("MEMBER_ID", Str),
            ("MEMBER_HOST", Str),
            ("MEMBER_PORT", Int),
            ("MEMBER_STATE", Str),
            ("MEMBER_ROLE", Str),
            ("MEMBER_VERSION", Str),
            ("MEMBER_COMMUNICATION_STACK", Str),
        ],
    },
    Table {
        schema: "performance_schema",
        name: "replication_group_member_stats",
        columns: &[
            ("CHANNEL_NAME", Str),
            ("VIEW_ID", Str),
            ("MEMBER_ID", Str),
            ("COUNT_TRANSACTIONS_IN_QUEUE", Int),
            ("COUNT_TRANSACTIONS_CHECKED", Int),
            ("COUNT_CONFLICTS_DETECTED", Int),
            ("COUNT_TRANSACTIONS_ROWS_VALIDATING", Int),
            ("TRANSACTIONS_COMMITTED_ALL_MEMBERS", Str),
            ("LAST_CONFLICT_FREE_TRANSACTION", Str),
            ("COUNT_TRANSACTIONS_REMOTE_IN_APPLIER_QUEUE", Int),
            ("COUNT_TRANSACTIONS_REMOTE_APPLIED", Int),
            ("COUNT_TRANSACTIONS_LOCAL_PROPOSED", Int),
            ("COUNT_TRANSACTIONS_LOCAL_ROLLBACK", Int),
        ],
    },
    Table {
        schema: "performance_schema",
        name: "replication_connection_status",
        columns: &[
            ("CHANNEL_NAME", Str),
            ("GROUP_NAME", Str),
            ("SOURCE_UUID", Str),
            ("THREAD_ID", Int),
            ("SERVICE_STATE", Str),
            ("COUNT_RECEIVED_HEARTBEATS", Int),
            ("LAST_HEARTBEAT_TIMESTAMP", Timestamp),
            ("RECEIVED_TRANSACTION_SET", Str),
            ("LAST_ERROR_NUMBER", Int),
            ("LAST_ERROR_MESSAGE", Str),
            ("LAST_ERROR_TIMESTAMP", Timestamp),
        ],
    },
    Table {
        schema: "performance_schema",
        name: "error_log",
        columns: &[
            ("LOGGED", Timestamp),
            ("THREAD_ID", Int),
            ("PRIO", Str),
            ("ERROR_CODE", Str),
            ("SUBSYSTEM", Str),
            ("DATA", Str),
        ],
    },
    Table {
        schema: "performance_schema",
        name: "events_stages_current",
        columns: &[
            ("THREAD_ID", Int),
            ("EVENT_ID", Int),
            ("EVENT_NAME", Str),
            ("WORK_COMPLETED", Int),
            ("WORK_ESTIMATED", Int),
        ],
    },
    Table {
        schema: "mysql",
        name: "rds_configuration",
        columns: &[("name", Str), ("value", Str), ("description", Str)],
    },
    Table {
        schema: "mysql",
        name: "rds_history",
        columns: &[
            ("action_timestamp", Timestamp),
            ("called_by_user", Str),
            ("action", Str),
            ("mysql_version", Str),
            ("master_gtid", Str),
        ],
    },
];

/// Schemas that exist on every member (their unknown tables are 1146, writes are refused).
pub(crate) const SYSTEM_SCHEMAS: &[&str] =
    &["performance_schema", "mysql", "information_schema", "sys"];

/// The table `schema.name`, ignoring case as MySQL does for these schemas.
pub(crate) fn lookup(schema: &str, name: &str) -> Option<&'static Table> {
    TABLES
        .iter()
        .find(|t| t.schema.eq_ignore_ascii_case(schema) && t.name.eq_ignore_ascii_case(name))
}

/// `2026-01-01 00:00:05.000000`, the form TIMESTAMP(6) columns print (UTC, as on RDS).
pub(crate) fn timestamp(world: &World, at: Duration) -> String {
    chrono::DateTime::from_timestamp_micros(world.wall_micros(at))
        .map(|t| t.format("%Y-%m-%d %H:%M:%S%.6f").to_string())
        .unwrap_or_default()
}

const ZERO_TIMESTAMP: &str = "0000-00-00 00:00:00.000000";

/// The rows member `m` returns for `table`.
pub(crate) fn rows(world: &World, m: usize, table: &Table) -> Vec<Vec<Value>> {
    let gr_enabled = world.members[m].cfg.gr_enabled;
    match table.name {
        "replication_group_members" if gr_enabled => group_members(world, m),
        "replication_group_member_stats" if gr_enabled => member_stats(world, m),
        "replication_connection_status" if gr_enabled => connection_status(world, m),
        "error_log" => error_log(world, m),
        "events_stages_current" => stages(world, m),
        "rds_configuration" => world.members[m]
            .rds_config
            .iter()
            .map(|(name, value, description)| {
                vec![
                    Value::str(name),
                    value.clone().map_or(Value::Null, Value::Str),
                    Value::str(description),
                ]
            })
            .collect(),
        "rds_history" => world.members[m]
            .history
            .iter()
            .map(|h| {
                vec![
                    Value::Str(timestamp(world, h.at)),
                    Value::str(&h.user),
                    Value::str(&h.action),
                    Value::str(&h.version),
                    h.gtid.clone().map_or(Value::Null, Value::Str),
                ]
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn group_members(world: &World, m: usize) -> Vec<Vec<Value>> {
    world
        .view_rows(m)
        .into_iter()
        .map(|(t, state)| {
            let member = &world.members[t];
            let in_group = matches!(state, "ONLINE" | "RECOVERING" | "UNREACHABLE");
            vec![
                Value::str("group_replication_applier"),
                Value::str(&member.uuid),
                Value::str(&member.hostname),
                Value::Int(3306),
                Value::str(state),
                Value::str(if in_group { "PRIMARY" } else { "" }),
                // The version in every state, OFFLINE included: since 2024 the plugin's
                // ps_information.cc fills it from the server for a member whose GR never started
                // and from the member's info after a stop (the 2018 code left it empty).
                Value::Str(member.version.to_string()),
                Value::str("MySQL"),
            ]
        })
        .collect()
}

fn member_stats(world: &World, m: usize) -> Vec<Vec<Value>> {
    let member = &world.members[m];
    let Some(active) = member.in_group() else {
        // Outside a group, or waiting to leave one, only the member's own id is shown.
        return vec![stats_row(&member.uuid, "", 0, 0, 0, "")];
    };
    let comp = world.component(m);
    let mut committed: Option<GtidSet> = None;
    let mut group = GtidSet::new();
    for &t in comp.iter().filter(|&&t| world.members[t].is_online()) {
        let executed = &world.members[t].executed;
        group.union_with(executed);
        committed = Some(match committed {
            None => executed.clone(),
            Some(all) => all.intersection(executed),
        });
    }
    let committed = committed.map(|c| c.to_string()).unwrap_or_default();
    active
        .view
        .members
        .iter()
        .map(|&t| {
            let peer = &world.members[t];
            // A recovering member queues what the group committed and it has not applied yet;
            // an ONLINE one what its slow applier has not (`Fault::ApplierBacklog`).
            let queue = match peer.active().map(|a| &a.phase) {
                Some(Phase::Recovering { .. }) => group.subtract(&peer.executed).count(),
                _ => peer.backlog,
            };
            stats_row(
                &peer.uuid,
                &active.view.id(),
                queue,
                peer.remote_applied,
                peer.local_proposed,
                &committed,
            )
        })
        .collect()
}

fn stats_row(
    uuid: &str,
    view_id: &str,
    queue: u64,
    applied: u64,
    proposed: u64,
    committed: &str,
) -> Vec<Value> {
    let count = |n: u64| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
    vec![
        Value::str("group_replication_applier"),
        Value::str(view_id),
        Value::str(uuid),
        Value::Int(0),
        count(applied + proposed),
        Value::Int(0),
        Value::Int(0),
        Value::str(committed),
        Value::str(""),
        count(queue),
        count(applied),
        count(proposed),
        Value::Int(0),
    ]
}

fn connection_status(world: &World, m: usize) -> Vec<Vec<Value>> {
    let member = &world.members[m];
    let running = member.in_group().is_some();
    let recovering = matches!(
        member.in_group().map(|a| &a.phase),
        Some(Phase::Recovering { .. })
    );
    let on_off = |on: bool| Value::str(if on { "ON" } else { "OFF" });
    let group = &member.cfg.group_name;
    let mut received = GtidSet::new();
    received.add_range(group, 1, member.executed.last_gno(group));
    let mut received = received.intersection(&member.executed);
    received.union_with(&member.received);
    // The applier channel appears at the first START and stays (`gr_perfschema`).
    let mut rows = Vec::new();
    if member.applier_channel {
        rows.push(vec![
            Value::str("group_replication_applier"),
            Value::str(group),
            Value::str(group),
            Value::Null,
            on_off(running),
            Value::Int(0),
            Value::str(ZERO_TIMESTAMP),
            Value::Str(received.to_string()),
            Value::Int(0),
            Value::str(""),
            Value::str(ZERO_TIMESTAMP),
        ]);
    }
    if member.recovery_channel.is_some() {
        let (number, message, at) = match &member.recovery_error {
            Some(e) => (
                i64::from(e.number),
                e.message.clone(),
                timestamp(world, e.at),
            ),
            None => (0, String::new(), ZERO_TIMESTAMP.to_string()),
        };
        rows.push(vec![
            Value::str("group_replication_recovery"),
            Value::str(""),
            Value::str(""),
            Value::Null,
            on_off(recovering),
            Value::Int(0),
            Value::str(ZERO_TIMESTAMP),
            Value::str(""),
            Value::Int(number),
            Value::Str(message),
            Value::Str(at),
        ]);
    }
    rows
}

fn error_log(world: &World, m: usize) -> Vec<Vec<Value>> {
    world.members[m]
        .log
        .iter()
        .map(|entry| {
            vec![
                Value::Str(timestamp(world, entry.at)),
                Value::Int(0),
                Value::str(entry.line.prio.as_str()),
                Value::Str(entry.line.code_text()),
                Value::str(entry.line.subsystem),
                Value::str(&entry.line.data),
            ]
        })
        .collect()
}

fn stages(world: &World, m: usize) -> Vec<Vec<Value>> {
    let member = &world.members[m];
    match &member.gr {
        Gr::Error(state) => state
            .rejoin
            .map(|retry| {
                vec![
                    Value::Int(1000 + m as i64),
                    Value::Int(1),
                    Value::str("stage/group_rpl/Undergoing auto-rejoin procedure"),
                    // Attempts made so far; the plugin sets no estimate (autorejoin.cc starts
                    // the stage with 0 work estimated and counts attempts as work completed).
                    Value::Int(i64::from(retry.attempt) - 1),
                    Value::Int(0),
                ]
            })
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}
