//! The error-log lines the simulated server writes, with MySQL's codes and wording.
//!
//! Codes and texts come from MySQL 8.0 error logs (`[Repl] Plugin group_replication reported:
//! '...'`). Codes not confirmed from a real log are marked "unconfirmed" below.

use crate::model::member::Prio;

/// One error-log message: PRIO, ERROR_CODE (number part of `MY-0xxxxx`), SUBSYSTEM, DATA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub prio: Prio,
    pub code: u32,
    pub subsystem: &'static str,
    pub data: String,
}

impl Line {
    /// `MY-011526` as in the ERROR_CODE column.
    pub fn code_text(&self) -> String {
        format!("MY-{:06}", self.code)
    }
}

fn repl(prio: Prio, code: u32, text: impl AsRef<str>) -> Line {
    Line {
        prio,
        code,
        subsystem: "Repl",
        data: format!("Plugin group_replication reported: '{}'", text.as_ref()),
    }
}

fn server(prio: Prio, code: u32, text: String) -> Line {
    Line {
        prio,
        code,
        subsystem: "Server",
        data: text,
    }
}

/// A `Repl` error line with `data` as it is (the code of "more executed transactions than the
/// group", the commonest `Repl` error).
pub(crate) fn written(data: String) -> Line {
    Line {
        prio: Prio::Error,
        code: 11526,
        subsystem: "Repl",
        data,
    }
}

pub(crate) fn starting(version: &str) -> Line {
    server(
        Prio::System,
        10116,
        format!("/rdsdbbin/mysql/bin/mysqld (mysqld {version}) starting as process 1337"),
    )
}

pub(crate) fn ready(version: &str) -> Line {
    server(
        Prio::System,
        10931,
        format!(
            "/rdsdbbin/mysql/bin/mysqld: ready for connections. Version: '{version}'  socket: \
             '/tmp/mysql.sock'  port: 3306  Source distribution."
        ),
    )
}

pub(crate) fn shutdown_complete(version: &str) -> Line {
    server(
        Prio::System,
        10910,
        format!(
            "/rdsdbbin/mysql/bin/mysqld: Shutdown complete (mysqld {version})  Source distribution."
        ),
    )
}

pub(crate) fn plugin_starting() -> Line {
    repl(
        Prio::System,
        13587,
        "Plugin 'group_replication' is starting.",
    )
}

pub(crate) fn plugin_stopping() -> Line {
    repl(
        Prio::System,
        11650,
        "Plugin 'group_replication' is stopping.",
    )
}

pub(crate) fn plugin_stopped() -> Line {
    repl(
        Prio::System,
        11651,
        "Plugin 'group_replication' has been stopped.",
    )
}

pub(crate) fn super_read_only(on: bool) -> Line {
    if on {
        repl(Prio::System, 11565, "Setting super_read_only=ON.")
    } else {
        repl(Prio::System, 11566, "Setting super_read_only=OFF.")
    }
}

pub(crate) fn view_changed(addresses: &str, view_id: &str) -> Line {
    repl(
        Prio::System,
        11503,
        format!("Group membership changed to {addresses} on view {view_id}."),
    )
}

pub(crate) fn members_joined(address: &str) -> Line {
    repl(
        Prio::System,
        11501,
        format!("Members joined the group: {address}"),
    )
}

pub(crate) fn members_removed(addresses: &str) -> Line {
    repl(
        Prio::Warning,
        11499,
        format!("Members removed from the group: {addresses}"),
    )
}

/// The number follows the plugin's message list, between MY-011640 and MY-011650 (both seen in
/// real logs); the text is the 8.0.26+ wording.
pub(crate) fn leave_view_timeout() -> Line {
    repl(
        Prio::Warning,
        11648,
        "While leaving the group due to a stop, shutdown or failure there was a timeout receiving \
         a view change. This can lead to a possible inconsistent state. Check the log for more \
         details",
    )
}

pub(crate) fn left_group() -> Line {
    repl(
        Prio::System,
        11504,
        "Group membership changed: This member has left the group.",
    )
}

pub(crate) fn declared_online_self() -> Line {
    repl(
        Prio::System,
        11490,
        "This server was declared online within the replication group.",
    )
}

pub(crate) fn declared_online(address: &str) -> Line {
    repl(
        Prio::System,
        11492,
        format!(
            "The member with address {address} was declared online within the replication group."
        ),
    )
}

pub(crate) fn recovery_from_donor() -> Line {
    repl(
        Prio::System,
        13471,
        "Distributed recovery will transfer data using: Incremental recovery from a group donor",
    )
}

pub(crate) fn unreachable(address: &str) -> Line {
    repl(
        Prio::Warning,
        11493,
        format!("Member with address {address} has become unreachable."),
    )
}

pub(crate) fn reachable_again(address: &str) -> Line {
    repl(
        Prio::Warning,
        11494,
        format!("Member with address {address} is reachable again."),
    )
}

pub(crate) fn majority_lost() -> Line {
    repl(
        Prio::Error,
        11495,
        "This server is not able to reach a majority of members in the group. This server will \
         now block all updates. The server will remain blocked until contact with the majority is \
         restored. It is possible to use group_replication_force_members to force a new group \
         membership.",
    )
}

pub(crate) fn majority_regained() -> Line {
    repl(
        Prio::Warning,
        11498,
        "The member has resumed contact with a majority of the members in the group. Regular \
         operation is restored and transactions are unblocked.",
    )
}

pub(crate) fn expelled() -> Line {
    repl(
        Prio::Error,
        11505,
        "Member was expelled from the group due to network failures, changing member status to \
         ERROR.",
    )
}

/// Code unconfirmed: the text is the plugin's, the number was not found in a real log.
pub(crate) fn majority_timeout(seconds: u32) -> Line {
    repl(
        Prio::Error,
        11711,
        format!(
            "This member could not reach a majority of the members for more than {seconds} \
             seconds. The member will now leave the group as instructed by the \
             group_replication_unreachable_majority_timeout option."
        ),
    )
}

pub(crate) fn read_only_after_error() -> Line {
    repl(
        Prio::Error,
        11712,
        "The server was automatically set into read only mode after an error was detected.",
    )
}

pub(crate) fn offline_after_error() -> Line {
    repl(
        Prio::Error,
        13486,
        "The server was automatically set into offline mode after an error was detected.",
    )
}

pub(crate) fn errant_transactions(local: &str, group: &str) -> Line {
    repl(
        Prio::Error,
        11526,
        format!(
            "This member has more executed transactions than those present in the group. Local \
             transactions: {local} > Group transactions: {group}"
        ),
    )
}

pub(crate) fn errant_exit() -> Line {
    repl(
        Prio::Error,
        11522,
        "The member contains transactions not present in the group. The member will now exit the \
         group.",
    )
}

/// A joiner whose `server_uuid` a member of the group already has (a restored copy).
pub(crate) fn duplicate_uuid(uuid: &str) -> Line {
    repl(
        Prio::Error,
        11516,
        format!(
            "There is already a member with server_uuid {uuid}. The member will now exit the group."
        ),
    )
}

/// Code unconfirmed: the text is the plugin's (`compatibility check`), the number is a guess.
pub(crate) fn version_incompatible() -> Line {
    repl(
        Prio::Error,
        11525,
        "Member version is incompatible with the group.",
    )
}

pub(crate) fn no_donor_has_data() -> Line {
    repl(
        Prio::Error,
        13467,
        "No valid or ONLINE members exist to get the missing data from the group. For cloning \
         check if donors of the same version and with clone plugin installed exist. For \
         incremental recovery check if you have donors where the required data was not purged \
         from the binary logs.",
    )
}

pub(crate) fn donor_connection_error() -> Line {
    repl(
        Prio::Error,
        11582,
        "There was an error when connecting to the donor server. Please check that \
         group_replication_recovery channel credentials and all MEMBER_HOST column values of \
         performance_schema.replication_group_members table are correct and DNS resolvable.",
    )
}

pub(crate) fn donor_retries_exhausted() -> Line {
    repl(
        Prio::Error,
        11574,
        "Maximum number of retries when trying to connect to a donor reached. Aborting group \
         replication incremental recovery.",
    )
}

pub(crate) fn recovery_fatal() -> Line {
    repl(
        Prio::Error,
        11620,
        "Fatal error during the incremental recovery process of Group Replication. The server \
         will leave the group.",
    )
}

pub(crate) fn applier_aborted() -> Line {
    repl(
        Prio::Error,
        11451,
        "The applier thread execution was aborted. Unable to process more transactions, this \
         member will now leave the group.",
    )
}

pub(crate) fn join_failed_no_peers() -> Line {
    repl(
        Prio::Error,
        11735,
        "[GCS] Error connecting to all peers. Member join failed. Local port: 3306",
    )
}

pub(crate) fn join_view_timeout() -> Line {
    repl(
        Prio::Error,
        11640,
        "Timeout on wait for view after joining group",
    )
}

pub(crate) fn old_incarnation(endpoint: &str) -> Line {
    repl(
        Prio::Warning,
        11735,
        format!(
            "[GCS] Old incarnation found while trying to add node {endpoint}:3306. Please stop the \
             old node or wait for it to leave the group."
        ),
    )
}

/// `ER_GRP_RPL_STARTED_AUTO_REJOIN`: the number precedes MY-013374 and MY-013375, both asserted
/// by MySQL's own tests (`gr_autorejoin_failure_during_mid_join`).
pub(crate) fn autorejoin_attempt(attempt: u32, tries: u32) -> Line {
    repl(
        Prio::System,
        13373,
        format!("Started auto-rejoin procedure attempt {attempt} of {tries}"),
    )
}

/// `ER_GRP_RPL_FINISHED_AUTO_REJOIN`, written once an auto-rejoin ends (MY-013375, asserted by
/// `gr_autorejoin_failure_during_mid_join`): `attempt` is the last attempt made.
pub(crate) fn autorejoin_finished(attempt: u32, tries: u32, joined: bool) -> Line {
    let not = if joined { "" } else { " not" };
    repl(
        Prio::System,
        13375,
        format!(
            "Auto-rejoin procedure attempt {attempt} of {tries} finished. Member was{not} able to \
             join the group."
        ),
    )
}

/// `abort_plugin_process`: the exit action ABORT_SERVER (and a failed start at boot with it).
/// Code unconfirmed; the wording is the 8.0.2x+ plugin's (`gr_exit_state_action_on_majority_loss`
/// and `gr_exit_state_action_on_join_transaction_mismatch` expect it).
pub(crate) fn abort_server(reason: &str) -> Line {
    repl(
        Prio::Error,
        11713,
        format!("The plugin encountered a critical error and will abort: {reason}"),
    )
}

/// A joiner newer than the group's lowest version (`gr_multiple_version_members` expects it).
/// Code unconfirmed.
pub(crate) fn version_read_compatible() -> Line {
    repl(
        Prio::Warning,
        11524,
        "Member version is read compatible with the group.",
    )
}
