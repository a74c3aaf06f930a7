//! The errors the simulator reports: MySQL server errors sent on the wire (code, SQLSTATE and
//! text as MySQL 8.0 words them) and errors of the Rust control API.

use std::io;

use crate::rds::RdsError;

/// A MySQL server error as sent in an ERR packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ERROR {code} ({state}): {message}")]
pub struct SqlError {
    /// MySQL error number (e.g. 1290).
    pub code: u16,
    /// Five-character SQLSTATE.
    pub state: &'static str,
    /// Message text.
    pub message: String,
}

fn err(code: u16, state: &'static str, message: impl Into<String>) -> SqlError {
    SqlError {
        code,
        state,
        message: message.into(),
    }
}

impl SqlError {
    /// 1045: wrong user or password.
    pub fn access_denied(user: &str, host: &str, using_password: bool) -> Self {
        let using = if using_password { "YES" } else { "NO" };
        err(
            1045,
            "28000",
            format!("Access denied for user '{user}'@'{host}' (using password: {using})"),
        )
    }

    /// 1046: an unqualified name with no current database.
    pub fn no_database() -> Self {
        err(1046, "3D000", "No database selected")
    }

    /// 1047: a command the simulator does not implement.
    pub fn unknown_command() -> Self {
        err(1047, "08S01", "Unknown command")
    }

    /// 1054: unknown column; `place` is MySQL's clause name ("field list", "where clause").
    pub fn unknown_column(column: &str, place: &str) -> Self {
        err(
            1054,
            "42S22",
            format!("Unknown column '{column}' in '{place}'"),
        )
    }

    /// 1064: the statement does not parse.
    pub fn syntax(near: &str) -> Self {
        err(
            1064,
            "42000",
            format!(
                "You have an error in your SQL syntax; check the manual that corresponds to your \
                 MySQL server version for the right syntax to use near '{near}' at line 1"
            ),
        )
    }

    /// 1142: writes to system schemas.
    pub fn table_access_denied(command: &str, user: &str, host: &str, table: &str) -> Self {
        err(
            1142,
            "42000",
            format!("{command} command denied to user '{user}'@'{host}' for table '{table}'"),
        )
    }

    /// 1370: CALL without EXECUTE on the procedure.
    pub fn routine_access_denied(user: &str, host: &str, routine: &str) -> Self {
        err(
            1370,
            "42000",
            format!("execute command denied to user '{user}'@'{host}' for routine '{routine}'"),
        )
    }

    /// 1146: unknown table.
    pub fn no_such_table(schema: &str, table: &str) -> Self {
        err(
            1146,
            "42S02",
            format!("Table '{schema}.{table}' doesn't exist"),
        )
    }

    /// 1193: unknown system variable.
    pub fn unknown_variable(name: &str) -> Self {
        err(1193, "HY000", format!("Unknown system variable '{name}'"))
    }

    /// 1227: the RDS master user lacks SUPER / SYSTEM_VARIABLES_ADMIN.
    pub fn needs_system_variables_admin() -> Self {
        err(
            1227,
            "42000",
            "Access denied; you need (at least one of) the SUPER or SYSTEM_VARIABLES_ADMIN \
             privilege(s) for this operation",
        )
    }

    /// 1229: a global-only variable set without GLOBAL.
    pub fn global_variable(name: &str) -> Self {
        err(
            1229,
            "HY000",
            format!("Variable '{name}' is a GLOBAL variable and should be set with SET GLOBAL"),
        )
    }

    /// 1231: a value a variable cannot take.
    pub fn wrong_value(name: &str, value: &str) -> Self {
        err(
            1231,
            "42000",
            format!("Variable '{name}' can't be set to the value of '{value}'"),
        )
    }

    /// 1235: valid SQL the simulator does not evaluate.
    pub fn not_supported(what: &str) -> Self {
        err(
            1235,
            "42000",
            format!("This version of MySQL doesn't yet support '{what}'"),
        )
    }

    /// 1290 on a super-read-only member.
    pub fn super_read_only() -> Self {
        err(
            1290,
            "HY000",
            "The MySQL server is running with the --super-read-only option so it cannot execute \
             this statement",
        )
    }

    /// 1290 on a read-only member.
    pub fn read_only() -> Self {
        err(
            1290,
            "HY000",
            "The MySQL server is running with the --read-only option so it cannot execute this \
             statement",
        )
    }

    /// 1305: unknown stored procedure or function.
    pub fn no_such_routine(kind: &str, name: &str) -> Self {
        err(1305, "42000", format!("{kind} {name} does not exist"))
    }

    /// 1312: CALL returning rows to a client without CLIENT_MULTI_RESULTS.
    pub fn cannot_return_result_set(name: &str) -> Self {
        err(
            1312,
            "0A000",
            format!("PROCEDURE {name} can't return a result set in the given context"),
        )
    }

    /// 1318: wrong number of procedure arguments.
    pub fn wrong_argument_count(name: &str, expected: usize, got: usize) -> Self {
        err(
            1318,
            "42000",
            format!(
                "Incorrect number of arguments for PROCEDURE {name}; expected {expected}, got {got}"
            ),
        )
    }

    /// 1524 or 1644 raised by the RDS procedures with their own text (SIGNAL in the body).
    pub fn signal(code: u16, state: &'static str, message: impl Into<String>) -> Self {
        err(code, state, message)
    }

    /// 1264: a value outside a strict-mode numeric parameter's range.
    pub fn out_of_range(name: &str) -> Self {
        err(
            1264,
            "22003",
            format!("Out of range value for column '{name}' at row 1"),
        )
    }

    /// 1774: a malformed `uuid:gno`.
    pub fn malformed_gtid(spec: &str) -> Self {
        err(
            1774,
            "HY000",
            format!("Malformed GTID specification '{spec}'."),
        )
    }

    /// 3032: the member is in offline mode (8.0 and 8.4; 9.x when no reason was recorded).
    pub fn offline_mode() -> Self {
        err(3032, "HY000", "The server is currently in offline mode")
    }

    /// 6400 (`ER_SERVER_OFFLINE_MODE_REASON`, 9.0+): offline mode, with when and why it was set.
    pub fn offline_mode_reason(since: &str, reason: &str) -> Self {
        err(
            6400,
            "HY000",
            format!("The server is currently in offline mode since {since}, reason: {reason}"),
        )
    }

    /// 3092: START GROUP_REPLICATION refused by configuration or compatibility checks.
    pub fn gr_configuration() -> Self {
        err(
            3092,
            "HY000",
            "The server is not configured properly to be an active member of the group. Please \
             see more details on error log.",
        )
    }

    /// 3093: START GROUP_REPLICATION while it runs.
    pub fn gr_running() -> Self {
        err(
            3093,
            "HY000",
            "The START GROUP_REPLICATION command failed since the group is already running.",
        )
    }

    /// 3097: START GROUP_REPLICATION could not join a group through the seeds.
    pub fn gr_join_failed() -> Self {
        err(
            3097,
            "HY000",
            "The START GROUP_REPLICATION command failed as there was an error when joining the \
             communication group.",
        )
    }

    /// 3100: a write blocked for lack of quorum, rolled back because the member left the group.
    pub fn before_commit_hook() -> Self {
        err(
            3100,
            "HY000",
            "Error on observer while running replication hook 'before_commit'.",
        )
    }
}

/// Errors of the simulator's Rust and HTTP control API.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The configuration cannot describe an RDS GR cluster.
    #[error("invalid simulator configuration: {0}")]
    Config(String),
    /// No member has this name.
    #[error("no member named '{0}'")]
    UnknownMember(String),
    /// A listener could not be bound or served.
    #[error("network error: {0}")]
    Io(#[from] io::Error),
    /// A wait ran out of time.
    #[error("timed out after {0:?} waiting for the cluster")]
    Timeout(std::time::Duration),
    /// The member refused the operation as MySQL would.
    #[error("{0}")]
    Sql(#[from] SqlError),
    /// A write would block: the member's group has no quorum.
    #[error("member '{0}' has no quorum: a write would block")]
    NoQuorum(String),
    /// The operation needs the manual clock (or the real-time one).
    #[error("{0}")]
    WrongClock(&'static str),
    /// The RDS control plane refused the call.
    #[error(transparent)]
    Rds(#[from] RdsError),
    /// The fault description is not valid.
    #[error("invalid fault: {0}")]
    Fault(String),
}

impl SimError {
    /// A short stable name for logs and the HTTP control's error bodies.
    pub fn kind(&self) -> &'static str {
        match self {
            SimError::Config(_) => "Config",
            SimError::UnknownMember(_) => "UnknownMember",
            SimError::Io(_) => "Io",
            SimError::Timeout(_) => "Timeout",
            SimError::Sql(_) => "Sql",
            SimError::NoQuorum(_) => "NoQuorum",
            SimError::WrongClock(_) => "WrongClock",
            SimError::Rds(e) => e.code(),
            SimError::Fault(_) => "InvalidFault",
        }
    }
}
