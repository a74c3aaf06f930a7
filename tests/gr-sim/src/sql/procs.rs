//! The RDS stored procedures, following their bodies as dumped from an RDS instance
//! (`docs/group-replication.md`, "What RDS lets a client do"): checks, effects,
//! `mysql.rds_history` rows, message rows and errors.

use sqlparser::ast::{Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments};

use crate::errors::SqlError;
use crate::gtid::is_uuid;
use crate::model::World;
use crate::model::member::HistoryRow;
use crate::shared::Shared;
use crate::sql::Reply;
use crate::sql::eval::Scope;
use crate::sql::session::Session;
use crate::sql::value::{Column, Kind, ResultSet, Value};

const PLUGIN_MISSING: &str = "Procedure must be executed with group_replication plugin installed.";

/// `CALL name(args)`.
pub(crate) async fn call(
    shared: &Shared,
    session: &mut Session,
    function: &Function,
) -> Result<Vec<Reply>, SqlError> {
    let parts: Vec<String> = function
        .name
        .0
        .iter()
        .filter_map(|p| p.as_ident().map(|i| i.value.clone()))
        .collect();
    let (schema, name) = match parts.as_slice() {
        [schema, name] => (schema.clone(), name.to_ascii_lowercase()),
        [name] => (
            session.db.clone().ok_or_else(SqlError::no_database)?,
            name.to_ascii_lowercase(),
        ),
        _ => return Err(SqlError::not_supported(&function.to_string())),
    };
    let full = format!("{}.{name}", schema.to_ascii_lowercase());
    let expected = match (schema.eq_ignore_ascii_case("mysql"), name.as_str()) {
        (true, "rds_group_replication_start") => 1,
        (true, "rds_group_replication_stop") => 0,
        (true, "rds_group_replication_create_user") => 1,
        (true, "rds_group_replication_set_recovery_channel") => 1,
        (true, "rds_group_replication_advance_gtid") => 3,
        (true, "rds_set_configuration") => 2,
        (true, "rds_show_configuration") => 0,
        _ => return Err(SqlError::no_such_routine("PROCEDURE", &full)),
    };
    if !session.grants.execute("mysql", &name) {
        return Err(SqlError::routine_access_denied(
            &session.user,
            &session.host,
            &full,
        ));
    }
    let args = arguments(shared, session, function)?;
    if args.len() != expected {
        return Err(SqlError::wrong_argument_count(&full, expected, args.len()));
    }
    let returns_rows = matches!(
        name.as_str(),
        "rds_group_replication_start"
            | "rds_group_replication_stop"
            | "rds_group_replication_create_user"
            | "rds_show_configuration"
    );
    if returns_rows && !session.multi_results {
        return Err(SqlError::cannot_return_result_set(&full));
    }
    let m = session.member;
    let user = session.account();
    match name.as_str() {
        "rds_group_replication_start" => start(shared, m, &user, &args[0]).await,
        "rds_group_replication_stop" => stop(shared, m, &user).await,
        "rds_group_replication_create_user" => shared.with(|w| create_user(w, m, &user, &args[0])),
        "rds_group_replication_set_recovery_channel" => {
            shared.with(|w| set_recovery_channel(w, m, &user, &args[0]))
        }
        "rds_group_replication_advance_gtid" => shared.with(|w| advance_gtid(w, m, &user, &args)),
        "rds_set_configuration" => shared.with(|w| set_configuration(w, m, &args)),
        _ => shared.with(|w| show_configuration(w, m)),
    }
}

fn arguments(
    shared: &Shared,
    session: &Session,
    function: &Function,
) -> Result<Vec<Value>, SqlError> {
    let FunctionArguments::List(list) = &function.args else {
        return Ok(Vec::new());
    };
    let exprs: Vec<&Expr> = list
        .args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(e),
            other => Err(SqlError::syntax(&other.to_string())),
        })
        .collect::<Result<_, _>>()?;
    shared.with(|world| {
        let scope = Scope {
            world,
            session,
            table: None,
            row: None,
            place: "field list",
        };
        exprs.iter().map(|e| Ok(scope.eval(e)?.0)).collect()
    })
}

fn message(column: &str, text: &str) -> Vec<Reply> {
    vec![
        Reply::Rows(ResultSet {
            columns: vec![Column::computed(column, Kind::Str)],
            rows: vec![vec![Value::str(text)]],
        }),
        Reply::ok(0),
    ]
}

fn history(world: &mut World, m: usize, user: &str, action: String, gtid: Option<String>) {
    let version = world.members[m].version.to_string();
    let at = world.now;
    world.members[m].history.push(HistoryRow {
        at,
        user: user.to_string(),
        action,
        version,
        gtid,
    });
    world.touch();
}

fn plugin_check(world: &World, m: usize, errno: u16, text: &str) -> Result<(), SqlError> {
    if world.members[m].cfg.gr_enabled {
        Ok(())
    } else if errno == 1524 {
        Err(SqlError::signal(1524, "HY000", text))
    } else {
        Err(SqlError::signal(1644, "45000", text))
    }
}

async fn start(
    shared: &Shared,
    m: usize,
    user: &str,
    bootstrap: &Value,
) -> Result<Vec<Reply>, SqlError> {
    let flag = match bootstrap.as_i64() {
        Some(n @ (0 | 1)) => n == 1,
        _ => {
            let shown = bootstrap.to_text().unwrap_or_else(|| "NULL".to_string());
            return Err(SqlError::wrong_value(
                "group_replication_bootstrap_group",
                &shown,
            ));
        }
    };
    shared.with(|w| {
        plugin_check(w, m, 1644, PLUGIN_MISSING)?;
        w.start_gr(m, flag)
    })?;
    shared
        .clock
        .sleep(shared.with(|w| w.timing.proc_sleep))
        .await;
    let state = shared.with(|w| {
        let action = format!("start group replication. bootstrap:{}", u8::from(flag));
        history(w, m, user, action, None);
        w.view_rows(m)
            .into_iter()
            .find(|&(t, _)| t == m)
            .map(|(_, state)| state)
    });
    let text = match state {
        Some("ONLINE") => "Group replication started successfully.",
        Some("RECOVERING") => {
            "Group replication started and recovery is in progress. Run SELECT * FROM \
             performance_schema.replication_group_members to get the current member state."
        }
        _ => {
            "Group replication might have encountered an error as member state is not ONLINE or \
             RECOVERING. Run SELECT * FROM performance_schema.replication_group_members to get \
             the current member state."
        }
    };
    Ok(message("Message", text))
}

async fn stop(shared: &Shared, m: usize, user: &str) -> Result<Vec<Reply>, SqlError> {
    shared.with(|w| {
        plugin_check(w, m, 1644, PLUGIN_MISSING)?;
        w.stop_gr(m);
        Ok::<_, SqlError>(())
    })?;
    // STOP GROUP_REPLICATION returns once the leave is over: the view without the member, or
    // the plugin's timeout (the model ends the wait either way, and on a crash).
    loop {
        let mut changed = shared.subscribe();
        if !shared.with(|w| w.members[m].is_leaving()) || changed.changed().await.is_err() {
            break;
        }
    }
    shared
        .clock
        .sleep(shared.with(|w| w.timing.proc_sleep))
        .await;
    let offline = shared.with(|w| {
        history(w, m, user, "stop group replication".to_string(), None);
        w.members[m].state_name() == "OFFLINE"
    });
    let text = if offline {
        "Group replication stopped successfully."
    } else {
        "Group replication might have encountered an error as member state is not OFFLINE. Run \
         select * from performance_schema.replication_group_members to get the current member \
         state."
    };
    Ok(message("MESSAGE", text))
}

fn create_user(
    world: &mut World,
    m: usize,
    user: &str,
    password: &Value,
) -> Result<Vec<Reply>, SqlError> {
    plugin_check(
        world,
        m,
        1524,
        "You must install the group_replication plugin before you call the \
         mysql.rds_group_replication_create_user stored procedure. Install the plugin, and then \
         run the procedure again.",
    )?;
    let password = password.to_text().unwrap_or_default().trim().to_string();
    let existed = world.members[m].repl_user.replace(password).is_some();
    let (action, text) = if existed {
        (
            "group replication user altered.",
            "Warning: Group replication user already exists, password altered. Please ensure \
             that all your instances have the same password for this user.",
        )
    } else {
        (
            "group replication user created.",
            "Group replication user created successfully.",
        )
    };
    history(world, m, user, action.to_string(), None);
    Ok(message("Message", text))
}

fn set_recovery_channel(
    world: &mut World,
    m: usize,
    user: &str,
    password: &Value,
) -> Result<Vec<Reply>, SqlError> {
    plugin_check(
        world,
        m,
        1524,
        "You must install the group_replication plugin before you call the \
         mysql.rds_group_replication_set_recovery_channel stored procedure. Install the plugin, \
         and then run the procedure again.",
    )?;
    if world.members[m].repl_user.is_none() {
        return Err(SqlError::signal(
            3162,
            "HY000",
            "The database user rdsgrprepladmin must exist to set up the group replication \
             recovery channel. Call the stored procedure mysql.rds_group_replication_create_user \
             to create the user, and then set up the group replication recovery channel.",
        ));
    }
    let password = password.to_text().unwrap_or_default().trim().to_string();
    world.members[m].recovery_channel = Some(password);
    history(
        world,
        m,
        user,
        "set group replication recovery channel".to_string(),
        None,
    );
    Ok(vec![Reply::ok(0)])
}

fn advance_gtid(
    world: &mut World,
    m: usize,
    user: &str,
    args: &[Value],
) -> Result<Vec<Reply>, SqlError> {
    plugin_check(world, m, 1524, PLUGIN_MISSING)?;
    // `IN begin_id INT UNSIGNED, IN end_id INT UNSIGNED`: strict mode refuses what does not fit.
    let begin = unsigned_int(&args[0], "begin_id")?;
    let end = unsigned_int(&args[1], "end_id")?;
    let uuid = args[2].to_text().unwrap_or_default();
    if begin == 0 || end == 0 {
        return Err(SqlError::signal(
            1644,
            "45000",
            "Both start and end transaction ID of the transactions should be bigger than 0.",
        ));
    }
    if begin > end {
        return Err(SqlError::signal(
            1644,
            "45000",
            "Start transaction ID should be smaller or equal to the end transaction ID.",
        ));
    }
    if !is_uuid(&uuid) {
        return Err(SqlError::malformed_gtid(&format!("{uuid}:{begin}")));
    }
    // Empty transactions with binlogging off: local to this member, already-present ones skipped.
    world.advance_gtid(m, &uuid.to_ascii_lowercase(), begin, end);
    history(
        world,
        m,
        user,
        "advance gtid".to_string(),
        Some(format!("{uuid}:{begin}-{end}")),
    );
    Ok(vec![Reply::ok(0)])
}

/// A procedure argument declared `INT UNSIGNED`: 0 to 4294967295, else MySQL's strict-mode
/// out-of-range error naming the parameter. A NULL gets through the procedure's checks and
/// fails where it builds `GTID_NEXT`.
fn unsigned_int(value: &Value, name: &str) -> Result<u64, SqlError> {
    if matches!(value, Value::Null) {
        return Err(SqlError::wrong_value("gtid_next", "NULL"));
    }
    value
        .as_i64()
        .and_then(|n| u32::try_from(n).ok())
        .map(u64::from)
        .ok_or_else(|| SqlError::out_of_range(name))
}

fn set_configuration(world: &mut World, m: usize, args: &[Value]) -> Result<Vec<Reply>, SqlError> {
    let name = args[0].to_text().unwrap_or_default().to_ascii_lowercase();
    let entry = world.members[m]
        .rds_config
        .iter_mut()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| SqlError::signal(1644, "45000", "Invalid configuration name"))?;
    entry.1 = args[1].to_text();
    world.touch();
    Ok(vec![Reply::ok(0)])
}

fn show_configuration(world: &mut World, m: usize) -> Result<Vec<Reply>, SqlError> {
    let rows = world.members[m]
        .rds_config
        .iter()
        .map(|(n, v, d)| {
            vec![
                Value::str(n),
                v.clone().map_or(Value::Null, Value::Str),
                Value::str(d),
            ]
        })
        .collect();
    Ok(vec![
        Reply::Rows(ResultSet {
            columns: ["name", "value", "description"]
                .into_iter()
                .map(|c| Column::computed(c, Kind::Str))
                .collect(),
            rows,
        }),
        Reply::ok(0),
    ])
}
