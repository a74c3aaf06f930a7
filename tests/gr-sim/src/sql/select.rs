//! SELECT over one table (or none): projection with `*` and aliases, WHERE, ORDER BY and LIMIT.
//! Anything beyond that (joins, grouping, subqueries) is refused with MySQL's 1235.

use sqlparser::ast::{
    Expr, GroupByExpr, LimitClause, ObjectName, OrderByKind, OrderBySort, Query, Select,
    SelectItem, SetExpr, TableFactor, Value as AstValue,
};

use crate::errors::SqlError;
use crate::model::World;
use crate::sql::eval::Scope;
use crate::sql::session::Session;
use crate::sql::value::{Column, Kind, ResultSet, Value};
use crate::tables::{self, SYSTEM_SCHEMAS, Table};

/// Runs a SELECT on member `session.member`.
pub(crate) fn run(world: &World, session: &Session, query: &Query) -> Result<ResultSet, SqlError> {
    let unsupported = || SqlError::not_supported(&query.to_string());
    let SetExpr::Select(select) = query.body.as_ref() else {
        return Err(unsupported());
    };
    if query.with.is_some() || query.fetch.is_some() || !query.locks.is_empty() {
        return Err(unsupported());
    }
    check_simple(select).map_err(|()| unsupported())?;
    let table = resolve_table(select, session)?;
    let table_rows = match &table {
        Some((t, _)) => tables::rows(world, session.member, t),
        None => vec![Vec::new()],
    };
    let scope = |row, place| row_scope(world, session, &table, row, place);

    let columns = columns(select, &table, world, session)?;
    let mut rows = Vec::new();
    for row in &table_rows {
        if let Some(filter) = &select.selection
            && !scope(row, "where clause").eval(filter)?.0.truthy()
        {
            continue;
        }
        let out = project(select, &table, &scope(row, "field list"))?;
        let keys = sort_keys(query, &columns, &out, &scope(row, "order clause"))?;
        rows.push((keys, out));
    }
    if let Some(order) = &query.order_by
        && let OrderByKind::Expressions(exprs) = &order.kind
    {
        let desc: Vec<bool> = exprs
            .iter()
            .map(|e| matches!(e.options.sort, Some(OrderBySort::Desc)))
            .collect();
        rows.sort_by(|(a, _), (b, _)| {
            a.iter()
                .zip(b)
                .zip(&desc)
                .map(|((x, y), &desc)| {
                    let o = sort_order(x, y);
                    if desc { o.reverse() } else { o }
                })
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
    let (offset, limit) = limits(query)?;
    let rows = rows
        .into_iter()
        .map(|(_, out)| out)
        .skip(offset)
        .take(limit)
        .collect();
    Ok(ResultSet { columns, rows })
}

fn row_scope<'a>(
    world: &'a World,
    session: &'a Session,
    table: &Option<(&'static Table, String)>,
    row: &'a [Value],
    place: &'static str,
) -> Scope<'a> {
    Scope {
        world,
        session,
        table: table.clone(),
        row: Some(row),
        place,
    }
}

/// NULLs first, then MySQL comparison.
fn sort_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => std::cmp::Ordering::Equal,
        (Value::Null, _) => std::cmp::Ordering::Less,
        (_, Value::Null) => std::cmp::Ordering::Greater,
        _ => a.compare(b).unwrap_or(std::cmp::Ordering::Equal),
    }
}

fn check_simple(select: &Select) -> Result<(), ()> {
    let grouped = match &select.group_by {
        GroupByExpr::Expressions(exprs, modifiers) => !exprs.is_empty() || !modifiers.is_empty(),
        GroupByExpr::All(_) => true,
    };
    let joined = select.from.iter().any(|t| !t.joins.is_empty()) || select.from.len() > 1;
    if grouped
        || joined
        || select.distinct.is_some()
        || select.having.is_some()
        || select.into.is_some()
        || select.top.is_some()
    {
        return Err(());
    }
    Ok(())
}

/// The FROM table and the name it goes by; errors 1046 and 1146 as MySQL gives them.
fn resolve_table(
    select: &Select,
    session: &Session,
) -> Result<Option<(&'static Table, String)>, SqlError> {
    let Some(from) = select.from.first() else {
        return Ok(None);
    };
    let TableFactor::Table { name, alias, .. } = &from.relation else {
        return Err(SqlError::not_supported(&from.relation.to_string()));
    };
    let (schema, table_name) = split_name(name, session)?;
    let table = tables::lookup(&schema, &table_name)
        .ok_or_else(|| SqlError::no_such_table(&schema, &table_name))?;
    if !session.grants.select(&schema, &table_name) {
        return Err(SqlError::table_access_denied(
            "SELECT",
            &session.user,
            &session.host,
            table.name,
        ));
    }
    let known = alias
        .as_ref()
        .map_or_else(|| table.name.to_string(), |a| a.name.value.clone());
    Ok(Some((table, known)))
}

/// `schema.table` or `table` in the current database.
pub(crate) fn split_name(
    name: &ObjectName,
    session: &Session,
) -> Result<(String, String), SqlError> {
    let parts: Vec<String> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident().map(|i| i.value.clone()))
        .collect();
    match parts.as_slice() {
        [schema, table] => Ok((schema.clone(), table.clone())),
        [table] => match &session.db {
            Some(db) => Ok((db.clone(), table.clone())),
            None => Err(SqlError::no_database()),
        },
        _ => Err(SqlError::not_supported(&name.to_string())),
    }
}

/// True for schemas whose tables are the simulator's (writes there are refused).
pub(crate) fn is_system_schema(schema: &str) -> bool {
    SYSTEM_SCHEMAS
        .iter()
        .any(|s| s.eq_ignore_ascii_case(schema))
}

/// Result-set columns, checking every name once even when there are no rows.
fn columns(
    select: &Select,
    table: &Option<(&'static Table, String)>,
    world: &World,
    session: &Session,
) -> Result<Vec<Column>, SqlError> {
    let empty_row: Vec<Value> = table
        .as_ref()
        .map(|(t, _)| vec![Value::Null; t.columns.len()])
        .unwrap_or_default();
    let scope = Scope {
        world,
        session,
        table: table.clone(),
        row: Some(&empty_row),
        place: "field list",
    };
    let mut out = Vec::new();
    for item in &select.projection {
        match item {
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => {
                let (t, known) = table.as_ref().ok_or_else(|| SqlError::syntax("*"))?;
                out.extend(
                    t.columns
                        .iter()
                        .map(|(name, kind)| table_column(t, known, name, *kind)),
                );
            }
            SelectItem::UnnamedExpr(expr) => {
                let kind = scope.eval(expr)?.1;
                out.push(named_column(expr, display_name(expr), kind, table));
            }
            SelectItem::ExprWithAlias { expr, alias } => {
                let kind = scope.eval(expr)?.1;
                out.push(named_column(expr, alias.value.clone(), kind, table));
            }
            SelectItem::ExprWithAliases { .. } => {
                return Err(SqlError::not_supported(&item.to_string()));
            }
        }
    }
    Ok(out)
}

fn table_column(t: &Table, known: &str, name: &str, kind: Kind) -> Column {
    Column {
        name: name.to_string(),
        org_name: name.to_string(),
        table: known.to_string(),
        org_table: t.name.to_string(),
        schema: t.schema.to_string(),
        kind,
    }
}

/// A projected expression: a plain column keeps its table metadata.
fn named_column(
    expr: &Expr,
    name: String,
    kind: Kind,
    table: &Option<(&'static Table, String)>,
) -> Column {
    let column_name = match expr {
        Expr::Identifier(i) if !i.value.starts_with('@') => Some(i.value.as_str()),
        Expr::CompoundIdentifier(ids) if !ids[0].value.starts_with('@') => {
            ids.last().map(|i| i.value.as_str())
        }
        _ => None,
    };
    match (column_name, table) {
        (Some(c), Some((t, known))) => {
            let org = t
                .columns
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(c))
                .map_or(c, |(n, _)| n);
            Column {
                name,
                ..table_column(t, known, org, kind)
            }
        }
        _ => Column::computed(name, kind),
    }
}

/// The column name MySQL gives an unaliased expression: the text as written.
fn display_name(expr: &Expr) -> String {
    match expr {
        Expr::Identifier(i) => i.value.clone(),
        Expr::CompoundIdentifier(ids) if ids[0].value.starts_with("@@") => ids
            .iter()
            .map(|i| i.value.as_str())
            .collect::<Vec<_>>()
            .join("."),
        Expr::CompoundIdentifier(ids) => ids.last().map(|i| i.value.clone()).unwrap_or_default(),
        Expr::Value(v) => match &v.value {
            AstValue::SingleQuotedString(s) | AstValue::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        other => other.to_string(),
    }
}

fn project(
    select: &Select,
    table: &Option<(&'static Table, String)>,
    scope: &Scope<'_>,
) -> Result<Vec<Value>, SqlError> {
    let mut out = Vec::new();
    for item in &select.projection {
        match item {
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => {
                if table.is_some() {
                    out.extend(scope.row.unwrap_or(&[]).iter().cloned());
                }
            }
            SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => {
                out.push(scope.eval(expr)?.0);
            }
            SelectItem::ExprWithAliases { .. } => {}
        }
    }
    Ok(out)
}

/// ORDER BY keys: a position (`ORDER BY 2`), an output name or alias, or any expression.
fn sort_keys(
    query: &Query,
    columns: &[Column],
    out: &[Value],
    scope: &Scope<'_>,
) -> Result<Vec<Value>, SqlError> {
    let Some(order) = &query.order_by else {
        return Ok(Vec::new());
    };
    let OrderByKind::Expressions(exprs) = &order.kind else {
        return Err(SqlError::not_supported(&order.to_string()));
    };
    exprs
        .iter()
        .map(|e| {
            if let Expr::Value(v) = &e.expr
                && let AstValue::Number(n, _) = &v.value
            {
                let position: usize = n.parse().unwrap_or(0);
                return out
                    .get(position.wrapping_sub(1))
                    .cloned()
                    .ok_or_else(|| SqlError::unknown_column(n, "order clause"));
            }
            if let Expr::Identifier(i) = &e.expr
                && let Some(k) = columns
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(&i.value))
            {
                return Ok(out[k].clone());
            }
            Ok(scope.eval(&e.expr)?.0)
        })
        .collect()
}

/// (offset, limit) from `LIMIT n`, `LIMIT n OFFSET m` or `LIMIT m, n`.
fn limits(query: &Query) -> Result<(usize, usize), SqlError> {
    let number = |e: &Expr| -> Result<usize, SqlError> {
        match e {
            Expr::Value(v) => match &v.value {
                AstValue::Number(n, _) => n.parse().map_err(|_| SqlError::syntax(n)),
                other => Err(SqlError::syntax(&other.to_string())),
            },
            other => Err(SqlError::syntax(&other.to_string())),
        }
    };
    match &query.limit_clause {
        None => Ok((0, usize::MAX)),
        Some(LimitClause::LimitOffset { limit, offset, .. }) => Ok((
            offset
                .as_ref()
                .map(|o| number(&o.value))
                .transpose()?
                .unwrap_or(0),
            limit
                .as_ref()
                .map(number)
                .transpose()?
                .unwrap_or(usize::MAX),
        )),
        Some(LimitClause::OffsetCommaLimit { offset, limit }) => {
            Ok((number(offset)?, number(limit)?))
        }
    }
}
