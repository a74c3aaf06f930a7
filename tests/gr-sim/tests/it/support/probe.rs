//! The statements grkeeper's probe sends, verbatim from its `shared/src/observe/queries.rs`, and
//! its connection options (`shared/src/observe/mysql.rs`): copied, not imported, since the
//! simulator must not depend on grkeeper (each checks the other). The one copy in the simulator:
//! the integration tests use it through `support`, the probe bench includes this file by path.
//! Change it here whenever grkeeper's probe changes.

use mysql_async::{Opts, OptsBuilder};

/// `base` (address and credentials) with the options grkeeper's probe sets: explicit packet
/// size and wait timeout and no socket preference, so mysql_async sends no query of its own on
/// connect, and no statement cache.
pub fn options(base: Opts) -> Opts {
    OptsBuilder::from_opts(base)
        .prefer_socket(false)
        .max_allowed_packet(Some(16 * 1024 * 1024))
        .wait_timeout(Some(28_800))
        .stmt_cache_size(0)
        .into()
}

/// Identity, read-only flags, GTID sets and Group Replication settings.
pub const IDENTITY: &str = "SELECT @@server_uuid, @@hostname, @@port, @@version, @@read_only, @@super_read_only, @@offline_mode, @@gtid_executed, @@gtid_purged, @@group_replication_group_name, @@group_replication_group_seeds, @@group_replication_exit_state_action, @@group_replication_autorejoin_tries, @@group_replication_member_expel_timeout, @@group_replication_unreachable_majority_timeout";
/// What the probe sends instead of `IDENTITY` where that fails with 1193 (no plugin).
pub const IDENTITY_WITHOUT_GR: &str = "SELECT @@server_uuid, @@hostname, @@port, @@version, @@read_only, @@super_read_only, @@offline_mode, @@gtid_executed, @@gtid_purged";
/// The member's own view of the group.
pub const MEMBERS: &str = "SELECT MEMBER_ID, MEMBER_HOST, MEMBER_PORT, MEMBER_STATE, MEMBER_ROLE, MEMBER_VERSION FROM performance_schema.replication_group_members";
/// Certification and applier queues.
pub const STATS: &str = "SELECT MEMBER_ID, VIEW_ID, COUNT_TRANSACTIONS_IN_QUEUE, COUNT_CONFLICTS_DETECTED, COUNT_TRANSACTIONS_REMOTE_IN_APPLIER_QUEUE, COUNT_TRANSACTIONS_REMOTE_APPLIED, COUNT_TRANSACTIONS_LOCAL_PROPOSED, COUNT_TRANSACTIONS_LOCAL_ROLLBACK FROM performance_schema.replication_group_member_stats";
/// The GR channels' connection state, last error and received transactions.
pub const CHANNELS: &str = "SELECT CHANNEL_NAME, SERVICE_STATE, LAST_ERROR_NUMBER, LAST_ERROR_MESSAGE, LAST_ERROR_TIMESTAMP, RECEIVED_TRANSACTION_SET FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME IN ('group_replication_applier', 'group_replication_recovery')";
/// Recent replication lines of the error log.
pub const ERROR_LOG: &str = "SELECT LOGGED, PRIO, ERROR_CODE, DATA FROM performance_schema.error_log WHERE SUBSYSTEM = 'Repl' ORDER BY LOGGED DESC LIMIT 20";
/// RDS binlog retention.
pub const BINLOG_RETENTION: &str =
    "SELECT value FROM mysql.rds_configuration WHERE name = 'binlog retention hours'";
/// The last Group Replication procedure call RDS recorded (a deliberate stop shows here).
pub const LAST_GR_CALL: &str = "SELECT action_timestamp, called_by_user, action FROM mysql.rds_history WHERE action LIKE '%group replication%' ORDER BY action_timestamp DESC LIMIT 1";

/// One probe of a member with the plugin, in grkeeper's order; `IDENTITY_WITHOUT_GR` takes the
/// place of `IDENTITY` only where that fails.
pub const SEQUENCE: [&str; 7] = [
    IDENTITY,
    MEMBERS,
    STATS,
    CHANNELS,
    ERROR_LOG,
    BINLOG_RETENTION,
    LAST_GR_CALL,
];
