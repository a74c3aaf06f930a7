//! System variables (`@@name`, `@@global.name`, `@@session.name`) as an RDS member reports them,
//! and `SET` as the RDS master user may use it (session variables only; SET GLOBAL is 1227).

use crate::errors::SqlError;
use crate::model::World;
use crate::sql::session::Session;
use crate::sql::value::{Kind, Value};

/// Variables a session may change; everything else is global-only.
const SESSION_SETTABLE: &[&str] = &[
    "autocommit",
    "sql_mode",
    "time_zone",
    "character_set_client",
    "character_set_connection",
    "character_set_results",
    "collation_connection",
    "transaction_isolation",
    "wait_timeout",
    "interactive_timeout",
    "net_read_timeout",
    "net_write_timeout",
    "max_execution_time",
    "sql_log_bin",
    "group_replication_consistency",
];

/// The value and column type of `@@name` on member `m`.
pub(crate) fn get(
    world: &World,
    m: usize,
    session: &Session,
    name: &str,
) -> Result<(Value, Kind), SqlError> {
    let member = &world.members[m];
    let cfg = &member.cfg;
    let lower = name.to_ascii_lowercase();
    let int = |n: i64| Ok((Value::Int(n), Kind::Int));
    let text = |s: &str| Ok((Value::str(s), Kind::Str));
    if lower.starts_with("group_replication_") && !cfg.gr_enabled {
        // Plugin variables exist only while the plugin is loaded.
        return Err(SqlError::unknown_variable(name));
    }
    match lower.as_str() {
        "server_uuid" => text(&member.uuid),
        "server_id" => int(i64::from(member.server_id)),
        "hostname" => text(&member.hostname),
        "port" => int(3306),
        "version" => text(&member.version.to_string()),
        "version_comment" => text("Source distribution"),
        "version_compile_os" => text("Linux"),
        "version_compile_machine" => text("x86_64"),
        "license" => text("GPL"),
        "read_only" => int(member.read_only.into()),
        "super_read_only" => int(member.super_read_only.into()),
        "offline_mode" => int(member.offline_mode.into()),
        "gtid_executed" => text(&member.executed.to_string()),
        "gtid_purged" => text(&member.purged.to_string()),
        "gtid_mode" | "enforce_gtid_consistency" => text("ON"),
        "log_bin" | "performance_schema" | "sql_log_bin" => int(1),
        "binlog_format" => text("ROW"),
        "lower_case_table_names" => int(0),
        "autocommit" => int(session.autocommit.into()),
        "max_allowed_packet" => int(67_108_864),
        "wait_timeout" | "interactive_timeout" => int(28_800),
        "net_read_timeout" => int(30),
        "net_write_timeout" => int(60),
        "max_execution_time" => int(0),
        "max_connections" => int(1_000),
        // NULL: a socket path would make mysql_async try a unix-socket reconnect on loopback.
        "socket" => Ok((Value::Null, Kind::Str)),
        "sql_mode" => text("NO_ENGINE_SUBSTITUTION"),
        "time_zone" | "system_time_zone" => text("UTC"),
        "character_set_client"
        | "character_set_connection"
        | "character_set_results"
        | "character_set_server" => text("utf8mb4"),
        "collation_connection" | "collation_server" => text("utf8mb4_0900_ai_ci"),
        "transaction_isolation" => text("REPEATABLE-READ"),
        "basedir" => text("/rdsdbbin/mysql/"),
        "datadir" => text("/rdsdbdata/db/"),
        "group_replication_group_name" => text(&cfg.group_name),
        "group_replication_group_seeds" => text(&cfg.seeds),
        "group_replication_local_address" => text(&format!("{}:3306", member.endpoint)),
        "group_replication_exit_state_action" => text(cfg.exit_state_action.as_str()),
        "group_replication_autorejoin_tries" => int(cfg.autorejoin_tries.into()),
        "group_replication_member_expel_timeout" => int(cfg.member_expel_timeout.into()),
        "group_replication_unreachable_majority_timeout" => {
            int(cfg.unreachable_majority_timeout.into())
        }
        "group_replication_consistency" => text(&cfg.consistency),
        "group_replication_single_primary_mode" | "group_replication_bootstrap_group" => int(0),
        "group_replication_enforce_update_everywhere_checks" => int(1),
        "group_replication_start_on_boot" => int(cfg.start_on_boot.into()),
        "group_replication_allow_local_lower_version_join" => int(0),
        "group_replication_communication_stack" => text("MYSQL"),
        "group_replication_force_members" => text(""),
        "group_replication_ssl_mode" => text("DISABLED"),
        "group_replication_flow_control_mode" => text("QUOTA"),
        "group_replication_message_cache_size" => int(1_073_741_824),
        "group_replication_transaction_size_limit" => int(150_000_000),
        "group_replication_components_stop_timeout" => int(300),
        _ => Err(SqlError::unknown_variable(name)),
    }
}

/// `SET [SESSION|GLOBAL] name = value`.
pub(crate) fn set(
    world: &World,
    session: &mut Session,
    global: bool,
    name: &str,
    value: &Value,
) -> Result<(), SqlError> {
    let lower = name.to_ascii_lowercase();
    // Unknown names fail first, as in MySQL.
    get(world, session.member, session, &lower)?;
    if global {
        return Err(SqlError::needs_system_variables_admin());
    }
    if !SESSION_SETTABLE.contains(&lower.as_str()) {
        return Err(SqlError::global_variable(&lower));
    }
    if lower == "autocommit" {
        let on = match value {
            Value::Int(n) if *n == 0 || *n == 1 => *n == 1,
            Value::Str(s) if s.eq_ignore_ascii_case("on") => true,
            Value::Str(s) if s.eq_ignore_ascii_case("off") => false,
            other => {
                let shown = other.to_text().unwrap_or_else(|| "NULL".to_string());
                return Err(SqlError::wrong_value("autocommit", &shown));
            }
        };
        session.autocommit = on;
    }
    Ok(())
}
