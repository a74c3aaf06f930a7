//! The probe's exact statements and the parsing of their text-protocol rows into the model.
//! Pure: rows come in as columns of `Option<String>` (NULL = `None`).

use crate::gtid::GtidSet;
use crate::model::untrusted;
use crate::model::{
    ChannelStatus, ErrorLogEntry, GrCall, GrSettings, LastGrCall, MemberReport, MemberState,
    MemberStats, ViewMember,
};

/// One probe statement: the exact SQL, and the short name that stands for it wherever it is
/// reported (a timeout's `during`, parse errors, log fields), so no SQL reaches an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement {
    /// Short name: lower case, words joined by `_`.
    pub name: &'static str,
    /// The exact statement.
    pub sql: &'static str,
}

/// Identity, read-only flags, GTID sets and Group Replication settings.
pub const IDENTITY: Statement = Statement {
    name: "identity",
    sql: "SELECT @@server_uuid, @@hostname, @@port, @@version, @@read_only, @@super_read_only, @@offline_mode, @@gtid_executed, @@gtid_purged, @@group_replication_group_name, @@group_replication_group_seeds, @@group_replication_exit_state_action, @@group_replication_autorejoin_tries, @@group_replication_member_expel_timeout, @@group_replication_unreachable_majority_timeout",
};
/// [`IDENTITY`] without the `group_replication_*` variables, for a server without the plugin
/// (where `IDENTITY` fails with 1193, unknown system variable).
pub const IDENTITY_WITHOUT_GR: Statement = Statement {
    name: "identity_without_gr",
    sql: "SELECT @@server_uuid, @@hostname, @@port, @@version, @@read_only, @@super_read_only, @@offline_mode, @@gtid_executed, @@gtid_purged",
};
/// The member's own view of the group.
pub const MEMBERS: Statement = Statement {
    name: "replication_group_members",
    sql: "SELECT MEMBER_ID, MEMBER_HOST, MEMBER_PORT, MEMBER_STATE, MEMBER_ROLE, MEMBER_VERSION FROM performance_schema.replication_group_members",
};
/// Certification and applier queues.
pub const STATS: Statement = Statement {
    name: "member_stats",
    sql: "SELECT MEMBER_ID, VIEW_ID, COUNT_TRANSACTIONS_IN_QUEUE, COUNT_CONFLICTS_DETECTED, COUNT_TRANSACTIONS_REMOTE_IN_APPLIER_QUEUE, COUNT_TRANSACTIONS_REMOTE_APPLIED, COUNT_TRANSACTIONS_LOCAL_PROPOSED, COUNT_TRANSACTIONS_LOCAL_ROLLBACK FROM performance_schema.replication_group_member_stats",
};
/// The GR channels' connection state and last error.
pub const CHANNELS: Statement = Statement {
    name: "channels",
    sql: "SELECT CHANNEL_NAME, SERVICE_STATE, LAST_ERROR_NUMBER, LAST_ERROR_MESSAGE, LAST_ERROR_TIMESTAMP, RECEIVED_TRANSACTION_SET FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME IN ('group_replication_applier', 'group_replication_recovery')",
};
/// Recent replication lines of the error log (MySQL 8.0.22+).
pub const ERROR_LOG: Statement = Statement {
    name: "error_log",
    sql: "SELECT LOGGED, PRIO, ERROR_CODE, DATA FROM performance_schema.error_log WHERE SUBSYSTEM = 'Repl' ORDER BY LOGGED DESC LIMIT 20",
};
/// RDS binlog retention.
pub const BINLOG_RETENTION: Statement = Statement {
    name: "binlog_retention",
    sql: "SELECT value FROM mysql.rds_configuration WHERE name = 'binlog retention hours'",
};
/// The last Group Replication procedure call recorded by RDS (a deliberate stop shows here).
pub const LAST_GR_CALL: Statement = Statement {
    name: "last_gr_call",
    sql: "SELECT action_timestamp, called_by_user, action FROM mysql.rds_history WHERE action LIKE '%group replication%' ORDER BY action_timestamp DESC LIMIT 1",
};

/// The account's privileges (`grkeeper doctor`): one grant per row.
pub const GRANTS: Statement = Statement {
    name: "grants",
    sql: "SHOW GRANTS",
};
/// The settings `grkeeper doctor` checks, as the member reports them (parameter group values
/// in effect); the columns are named by [`SETTING_NAMES`].
pub const SETTINGS: Statement = Statement {
    name: "settings",
    sql: "SELECT @@group_replication_group_name, @@group_replication_group_seeds, @@group_replication_exit_state_action, @@group_replication_consistency, @@group_replication_autorejoin_tries, @@group_replication_unreachable_majority_timeout, @@group_replication_start_on_boot, @@gtid_mode, @@enforce_gtid_consistency, @@binlog_format",
};
/// The variables of [`SETTINGS`], in column order.
pub const SETTING_NAMES: [&str; 10] = [
    "group_replication_group_name",
    "group_replication_group_seeds",
    "group_replication_exit_state_action",
    "group_replication_consistency",
    "group_replication_autorejoin_tries",
    "group_replication_unreachable_majority_timeout",
    "group_replication_start_on_boot",
    "gtid_mode",
    "enforce_gtid_consistency",
    "binlog_format",
];

/// One text-protocol row.
pub type Row = Vec<Option<String>>;

fn text(row: &Row, index: usize) -> Option<&str> {
    row.get(index)?.as_deref()
}

/// A text column as grkeeper keeps it: cleaned and clipped ([`untrusted::clean`]), since
/// whatever a member says may end up in an alert, a log line or a terminal.
fn kept(text: &str) -> String {
    untrusted::clean(text, untrusted::KEPT)
}

/// A text column that may be NULL, as [`kept`] (NULL reads as empty).
fn owned(row: &Row, index: usize) -> String {
    kept(text(row, index).unwrap_or(""))
}

fn required<'r>(row: &'r Row, index: usize, column: &str) -> Result<&'r str, String> {
    text(row, index).ok_or_else(|| format!("{column} is NULL or missing"))
}

fn number<T: std::str::FromStr>(row: &Row, index: usize, column: &str) -> Result<T, String> {
    match text(row, index) {
        None => Err(format!("{column} is NULL or missing")),
        Some(value) => value
            .trim()
            .parse()
            .map_err(|_| format!("{column} is not a number: {}", untrusted::quote(value))),
    }
}

/// A number column that may be NULL.
fn optional_number<T: std::str::FromStr>(
    row: &Row,
    index: usize,
    column: &str,
) -> Result<Option<T>, String> {
    text(row, index)
        .map(|_| number(row, index, column))
        .transpose()
}

fn flag(row: &Row, index: usize, column: &str) -> Result<bool, String> {
    Ok(number::<u8>(row, index, column)? != 0)
}

/// A server UUID (`@@server_uuid`, `MEMBER_ID`) in lower case, as GTID sets hold it: MySQL prints
/// them so, and lowering them once here lets every later comparison be exact.
fn uuid(text: &str) -> String {
    kept(&text.to_ascii_lowercase())
}

fn gtid_set(row: &Row, index: usize, column: &str) -> Result<GtidSet, String> {
    text(row, index)
        .unwrap_or("")
        .parse()
        .map_err(|e| format!("{column}: {e}"))
}

/// Parses the row of [`IDENTITY`] (15 columns) or [`IDENTITY_WITHOUT_GR`] (9 columns) into a
/// report whose group view, stats, channels and log lines the other queries fill in.
pub fn identity(row: &Row) -> Result<MemberReport, String> {
    let settings = if row.len() > 9 {
        GrSettings {
            group_name: text(row, 9).filter(|s| !s.is_empty()).map(kept),
            group_seeds: text(row, 10)
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(kept)
                .collect(),
            exit_state_action: text(row, 11).filter(|s| !s.is_empty()).map(kept),
            autorejoin_tries: optional_number(row, 12, "@@group_replication_autorejoin_tries")?,
            member_expel_timeout: optional_number(
                row,
                13,
                "@@group_replication_member_expel_timeout",
            )?,
            unreachable_majority_timeout: optional_number(
                row,
                14,
                "@@group_replication_unreachable_majority_timeout",
            )?,
            binlog_retention_hours: None,
        }
    } else {
        GrSettings::default()
    };
    Ok(MemberReport {
        server_uuid: uuid(required(row, 0, "@@server_uuid")?),
        hostname: owned(row, 1),
        port: optional_number(row, 2, "@@port")?,
        version: owned(row, 3),
        read_only: flag(row, 4, "@@read_only")?,
        super_read_only: flag(row, 5, "@@super_read_only")?,
        offline_mode: flag(row, 6, "@@offline_mode")?,
        gtid_executed: gtid_set(row, 7, "@@gtid_executed")?,
        gtid_purged: gtid_set(row, 8, "@@gtid_purged")?,
        settings,
        view: Vec::new(),
        stats: Vec::new(),
        channels: Vec::new(),
        errors: Vec::new(),
        last_gr_call: LastGrCall::None,
    })
}

/// Parses one row of [`MEMBERS`]. An unknown `MEMBER_STATE` is an error, never a guess.
pub fn view_member(row: &Row) -> Result<ViewMember, String> {
    let state = match required(row, 3, "MEMBER_STATE")? {
        "ONLINE" => MemberState::Online,
        "RECOVERING" => MemberState::Recovering,
        "OFFLINE" => MemberState::Offline,
        "ERROR" => MemberState::Error,
        "UNREACHABLE" => MemberState::Unreachable,
        other => return Err(format!("unknown MEMBER_STATE {other:?}")),
    };
    Ok(ViewMember {
        member_id: uuid(text(row, 0).unwrap_or("")),
        host: owned(row, 1),
        port: optional_number(row, 2, "MEMBER_PORT")?.unwrap_or(0),
        state,
        role: owned(row, 4),
        version: owned(row, 5),
    })
}

/// Parses one row of [`STATS`]; NULL counters (an OFFLINE member's own row) read as 0.
pub fn member_stats(row: &Row) -> Result<MemberStats, String> {
    let count =
        |index, column| optional_number::<u64>(row, index, column).map(Option::unwrap_or_default);
    Ok(MemberStats {
        member_id: uuid(text(row, 0).unwrap_or("")),
        view_id: owned(row, 1),
        transactions_in_queue: count(2, "COUNT_TRANSACTIONS_IN_QUEUE")?,
        conflicts_detected: count(3, "COUNT_CONFLICTS_DETECTED")?,
        remote_in_applier_queue: count(4, "COUNT_TRANSACTIONS_REMOTE_IN_APPLIER_QUEUE")?,
        remote_applied: count(5, "COUNT_TRANSACTIONS_REMOTE_APPLIED")?,
        local_proposed: count(6, "COUNT_TRANSACTIONS_LOCAL_PROPOSED")?,
        local_rollback: count(7, "COUNT_TRANSACTIONS_LOCAL_ROLLBACK")?,
    })
}

/// Parses one row of [`CHANNELS`].
pub fn channel(row: &Row) -> Result<ChannelStatus, String> {
    Ok(ChannelStatus {
        channel: kept(required(row, 0, "CHANNEL_NAME")?),
        service_state: owned(row, 1),
        last_error_number: optional_number(row, 2, "LAST_ERROR_NUMBER")?.unwrap_or(0),
        last_error_message: owned(row, 3),
        // MySQL prints "0000-00-00 00:00:00.000000" when there was no error.
        last_error_timestamp: text(row, 4)
            .filter(|t| !t.starts_with("0000-00-00"))
            .map(kept)
            .unwrap_or_default(),
        received_transaction_set: gtid_set(row, 5, "RECEIVED_TRANSACTION_SET")?,
    })
}

/// Parses one row of [`ERROR_LOG`].
pub fn error_log_entry(row: &Row) -> Result<ErrorLogEntry, String> {
    Ok(ErrorLogEntry {
        logged: kept(required(row, 0, "LOGGED")?),
        prio: owned(row, 1),
        error_code: owned(row, 2),
        data: owned(row, 3),
    })
}

/// Parses [`LAST_GR_CALL`]: no row means no procedure was ever called here.
pub fn last_gr_call(rows: &[Row]) -> Result<LastGrCall, String> {
    let Some(row) = rows.first() else {
        return Ok(LastGrCall::None);
    };
    Ok(LastGrCall::Call(GrCall {
        at: kept(required(row, 0, "action_timestamp")?),
        by: owned(row, 1),
        action: kept(required(row, 2, "action")?),
    }))
}

/// Parses [`BINLOG_RETENTION`]: no row or NULL means RDS's "purge as soon as possible".
pub fn binlog_retention(rows: &[Row]) -> Result<Option<u32>, String> {
    match rows.first() {
        None => Ok(None),
        // RDS's default is NULL: binary logs are purged as soon as possible, i.e. no retention.
        Some(row) => Ok(optional_number(row, 0, "binlog retention hours")?.or(Some(0))),
    }
}

#[cfg(test)]
mod tests;
