//! Runs COM_QUERY text: parses it with sqlparser's MySQL dialect and executes each statement
//! against the member the session is connected to (SELECT, SET, USE, transactions, writes,
//! CALL of the RDS procedures, SHOW GRANTS).

pub(crate) mod eval;
mod procs;
pub(crate) mod select;
pub(crate) mod session;
pub(crate) mod value;
mod vars;

use sqlparser::ast::{
    ContextModifier, Expr, FromTable, ObjectName, Set, Statement, TableFactor, TableObject, Use,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

use crate::errors::SqlError;
use crate::model::writes::Gate;
use crate::shared::Shared;
use crate::sql::eval::Scope;
use crate::sql::session::Session;
use crate::sql::value::{ResultSet, Value};

/// One result of a statement, in the order the client reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    Ok { affected: u64 },
    Rows(ResultSet),
    Err(SqlError),
}

impl Reply {
    pub fn ok(affected: u64) -> Reply {
        Reply::Ok { affected }
    }
}

/// What running a query produced.
#[derive(Debug)]
pub(crate) enum Outcome {
    Replies(Vec<Reply>),
    /// The server went down while the statement ran: the connection just closes.
    Closed,
}

/// Why a statement stopped early.
enum Stop {
    Sql(SqlError),
    Closed,
}

impl From<SqlError> for Stop {
    fn from(e: SqlError) -> Self {
        Stop::Sql(e)
    }
}

/// Runs the text of one COM_QUERY (possibly several statements).
pub(crate) async fn run(shared: &Shared, session: &mut Session, sql: &str) -> Outcome {
    if let Some(reply) = show_grants(session, sql) {
        return Outcome::Replies(vec![reply]);
    }
    let statements = match shared.parsed(sql, || Parser::parse_sql(&MySqlDialect {}, sql)) {
        Ok(statements) => statements,
        Err(e) => {
            return Outcome::Replies(vec![Reply::Err(SqlError::syntax(near(
                sql,
                &e.to_string(),
            )))]);
        }
    };
    if statements.is_empty() {
        let empty = SqlError::signal(1065, "42000", "Query was empty");
        return Outcome::Replies(vec![Reply::Err(empty)]);
    }
    let mut replies = Vec::new();
    for statement in statements.iter() {
        match execute(shared, session, statement).await {
            Ok(mut more) => replies.append(&mut more),
            Err(Stop::Sql(e)) => {
                replies.push(Reply::Err(e));
                break;
            }
            Err(Stop::Closed) => return Outcome::Closed,
        }
    }
    Outcome::Replies(replies)
}

/// `SHOW GRANTS`, `SHOW GRANTS FOR CURRENT_USER[()]` (sqlparser has no statement for it): the
/// account's grant lines under MySQL's column title; `None` for any other text.
fn show_grants(session: &Session, sql: &str) -> Option<Reply> {
    let words: Vec<String> = sql
        .trim()
        .trim_end_matches(';')
        .split_whitespace()
        .map(str::to_ascii_uppercase)
        .collect();
    let for_self = match words.as_slice() {
        [show, grants] => show == "SHOW" && grants == "GRANTS",
        [show, grants, word, who] => {
            show == "SHOW"
                && grants == "GRANTS"
                && word == "FOR"
                && (who == "CURRENT_USER" || who == "CURRENT_USER()")
        }
        _ => false,
    };
    if !for_self {
        return None;
    }
    let title = format!("Grants for {}@%", session.user);
    let rows = session
        .grants
        .lines()
        .iter()
        .map(|line| vec![Value::str(line.as_str())])
        .collect();
    Some(Reply::Rows(ResultSet {
        columns: vec![value::Column::computed(title, value::Kind::Str)],
        rows,
    }))
}

/// The query text from the position sqlparser reports, as MySQL's "near '…'".
fn near<'a>(sql: &'a str, error: &str) -> &'a str {
    let column = error
        .rsplit("Column: ")
        .next()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .unwrap_or(1);
    let start = sql
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(sql.len(), |(i, _)| i);
    &sql[start..]
}

async fn execute(
    shared: &Shared,
    session: &mut Session,
    statement: &Statement,
) -> Result<Vec<Reply>, Stop> {
    match statement {
        Statement::Query(query) => {
            let rows = shared.with(|w| select::run(w, session, query))?;
            Ok(vec![Reply::Rows(rows)])
        }
        Statement::Set(set) => {
            shared.with(|w| set_statement(w, session, set))?;
            // Turning autocommit back on commits the open transaction.
            if session.autocommit && !session.in_transaction {
                commit_now(shared, session).await?;
            }
            Ok(vec![Reply::ok(0)])
        }
        Statement::Use(Use::Object(name) | Use::Database(name) | Use::Schema(name)) => {
            session.db = Some(name.to_string().trim_matches('`').to_string());
            Ok(vec![Reply::ok(0)])
        }
        Statement::StartTransaction { .. } => {
            commit(shared, session).await?;
            session.in_transaction = true;
            Ok(vec![Reply::ok(0)])
        }
        Statement::Commit { .. } => {
            commit(shared, session).await?;
            Ok(vec![Reply::ok(0)])
        }
        Statement::Rollback { .. } => {
            session.rollback();
            Ok(vec![Reply::ok(0)])
        }
        Statement::Insert(insert) => {
            let TableObject::TableName(table) = &insert.table else {
                return Err(SqlError::not_supported(&statement.to_string()).into());
            };
            let rows = match insert.source.as_ref().map(|q| q.body.as_ref()) {
                Some(sqlparser::ast::SetExpr::Values(values)) => values.rows.len() as u64,
                _ => 1,
            };
            write(shared, session, "INSERT", table, rows).await
        }
        Statement::Update(update) => match &update.table.relation {
            TableFactor::Table { name, .. } => write(shared, session, "UPDATE", name, 1).await,
            other => Err(SqlError::not_supported(&other.to_string()).into()),
        },
        Statement::Delete(delete) => {
            let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &delete.from;
            match from.first().map(|t| &t.relation) {
                Some(TableFactor::Table { name, .. }) => {
                    write(shared, session, "DELETE", name, 1).await
                }
                _ => Err(SqlError::not_supported(&statement.to_string()).into()),
            }
        }
        Statement::CreateTable(create) => write(shared, session, "CREATE", &create.name, 0).await,
        Statement::CreateDatabase { .. } => {
            // DDL commits the open transaction, then itself.
            commit(shared, session).await?;
            session.pending_writes = 1;
            commit_now(shared, session).await?;
            Ok(vec![Reply::ok(1)])
        }
        Statement::Call(function) => Ok(procs::call(shared, session, function).await?),
        other => Err(SqlError::not_supported(&first_words(other)).into()),
    }
}

fn first_words(statement: &Statement) -> String {
    statement
        .to_string()
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn set_statement(
    world: &crate::model::World,
    session: &mut Session,
    set: &Set,
) -> Result<(), SqlError> {
    let assignments: Vec<(Option<ContextModifier>, &ObjectName, &Expr)> = match set {
        Set::SetNames { .. } | Set::SetNamesDefault {} => return Ok(()),
        Set::SingleAssignment {
            scope,
            variable,
            values,
            ..
        } => match values.as_slice() {
            [value] => vec![(*scope, variable, value)],
            _ => return Err(SqlError::not_supported(&set.to_string())),
        },
        Set::MultipleAssignments { assignments } => assignments
            .iter()
            .map(|a| (a.scope, &a.name, &a.value))
            .collect(),
        other => return Err(SqlError::not_supported(&other.to_string())),
    };
    for (scope, name, expr) in assignments {
        let value = match expr {
            // ON, OFF and other bare words are values here, not column names.
            Expr::Identifier(word) => Value::str(&word.value),
            other => {
                let scope = Scope {
                    world,
                    session,
                    table: None,
                    row: None,
                    place: "field list",
                };
                scope.eval(other)?.0
            }
        };
        let parts: Vec<&str> = name
            .0
            .iter()
            .filter_map(|p| p.as_ident().map(|i| i.value.as_str()))
            .collect();
        let (global, var) = match parts.as_slice() {
            [user_var] if user_var.starts_with('@') && !user_var.starts_with("@@") => {
                session
                    .user_vars
                    .insert(user_var[1..].to_ascii_lowercase(), value);
                continue;
            }
            [prefixed] if prefixed.starts_with("@@") => (false, &prefixed[2..]),
            [scope_word, var] if scope_word.starts_with("@@") => {
                (scope_word[2..].eq_ignore_ascii_case("global"), *var)
            }
            [var] => (scope == Some(ContextModifier::Global), *var),
            _ => return Err(SqlError::unknown_variable(&name.to_string())),
        };
        vars::set(world, session, global, var, &value)?;
    }
    Ok(())
}

/// A write statement: refused on a read-only member; committed now under autocommit, or kept
/// for COMMIT inside a transaction.
async fn write(
    shared: &Shared,
    session: &mut Session,
    command: &str,
    table: &ObjectName,
    affected: u64,
) -> Result<Vec<Reply>, Stop> {
    let (schema, name) = select::split_name(table, session)?;
    if select::is_system_schema(&schema) {
        let host = session.host.clone();
        return Err(SqlError::table_access_denied(command, &session.user, &host, &name).into());
    }
    let m = session.member;
    shared.with(|w| w.statement_gate(m))?;
    if session.pending_writes == 0 {
        session.write_context = shared.with(|w| w.write_context(m));
    }
    session.pending_writes += 1;
    if !session.in_transaction && session.autocommit {
        commit_now(shared, session).await?;
    }
    Ok(vec![Reply::ok(affected)])
}

/// COMMIT: commits the pending writes as one transaction (blocking while the group has no
/// majority), then ends the transaction.
async fn commit(shared: &Shared, session: &mut Session) -> Result<(), Stop> {
    let result = commit_now(shared, session).await;
    session.in_transaction = false;
    result
}

async fn commit_now(shared: &Shared, session: &mut Session) -> Result<(), Stop> {
    if session.pending_writes == 0 {
        return Ok(());
    }
    let m = session.member;
    let context = session.write_context;
    loop {
        let mut changed = shared.subscribe();
        let gate = shared.with(|w| {
            if w.members[m].boot != session.boot {
                return None;
            }
            let gate = w.commit_gate(m, context);
            if gate == Gate::Commit {
                w.commit(m, 1);
            }
            Some(gate)
        });
        match gate {
            None => return Err(Stop::Closed),
            Some(Gate::Commit) => break,
            Some(Gate::Refuse(e)) => {
                session.rollback();
                return Err(e.into());
            }
            Some(Gate::Block) => {
                if changed.changed().await.is_err() {
                    return Err(Stop::Closed);
                }
            }
        }
    }
    session.pending_writes = 0;
    session.write_context = None;
    Ok(())
}
