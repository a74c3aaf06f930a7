//! Evaluates the expressions the simulator supports against one row: columns, `@@variables`,
//! `@user_variables`, literals, comparisons, AND/OR/NOT, IN, LIKE, IS NULL and a few functions.

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, InTarget, UnaryOperator,
    Value as AstValue,
};

use crate::errors::SqlError;
use crate::gtid::GtidSet;
use crate::model::World;
use crate::sql::session::Session;
use crate::sql::value::{Kind, Value};
use crate::sql::vars;
use crate::tables::Table;

/// Everything an expression can refer to.
pub(crate) struct Scope<'a> {
    pub world: &'a World,
    pub session: &'a Session,
    /// The table in FROM and the name it goes by (its alias, or its own name).
    pub table: Option<(&'static Table, String)>,
    pub row: Option<&'a [Value]>,
    /// The clause being evaluated, for error 1054 ("field list", "where clause", ...).
    pub place: &'static str,
}

impl Scope<'_> {
    /// Evaluates `expr` to a value and the column type it would have in a result set.
    pub fn eval(&self, expr: &Expr) -> Result<(Value, Kind), SqlError> {
        match expr {
            Expr::Identifier(ident) => self.name(&[ident.value.as_str()]),
            Expr::CompoundIdentifier(idents) => {
                let parts: Vec<&str> = idents.iter().map(|i| i.value.as_str()).collect();
                self.name(&parts)
            }
            Expr::Value(v) => Ok(literal(&v.value)),
            Expr::Nested(inner) => self.eval(inner),
            Expr::UnaryOp { op, expr } => {
                let (v, kind) = self.eval(expr)?;
                match op {
                    UnaryOperator::Minus => Ok((
                        v.as_i64().map_or(Value::Null, |n| Value::Int(-n)),
                        Kind::Int,
                    )),
                    UnaryOperator::Plus => Ok((v, kind)),
                    UnaryOperator::Not => Ok((not(&v), Kind::Int)),
                    _ => Err(SqlError::not_supported(&expr.to_string())),
                }
            }
            Expr::BinaryOp { left, op, right } => self.binary(left, op, right, expr),
            Expr::IsNull(e) => Ok((Value::flag(self.eval(e)?.0 == Value::Null), Kind::Int)),
            Expr::IsNotNull(e) => Ok((Value::flag(self.eval(e)?.0 != Value::Null), Kind::Int)),
            Expr::In {
                expr: left,
                target: InTarget::List(list),
                negated,
                ..
            } => {
                let v = self.eval(left)?.0;
                let mut any_null = v == Value::Null;
                let mut found = false;
                for item in list {
                    match v.compare(&self.eval(item)?.0) {
                        Some(std::cmp::Ordering::Equal) => found = true,
                        None => any_null = true,
                        Some(_) => {}
                    }
                }
                let result = if found {
                    Value::flag(!negated)
                } else if any_null {
                    Value::Null
                } else {
                    Value::flag(*negated)
                };
                Ok((result, Kind::Int))
            }
            Expr::Like {
                negated,
                any: false,
                expr: left,
                pattern,
                escape_char: None,
            } => {
                let matched = self.eval(left)?.0.like(&self.eval(pattern)?.0);
                let result = matched.map_or(Value::Null, |m| Value::flag(m != *negated));
                Ok((result, Kind::Int))
            }
            Expr::Function(function) => self.function(function, expr),
            _ => Err(SqlError::not_supported(&expr.to_string())),
        }
    }

    /// A (possibly qualified) name: `@@var`, `@@global.var`, `@var`, `col`, `t.col`, `db.t.col`.
    fn name(&self, parts: &[&str]) -> Result<(Value, Kind), SqlError> {
        let m = self.session.member;
        match parts {
            [first, rest @ ..] if first.starts_with("@@") => {
                let var = match (first.len(), rest) {
                    (2.., []) => &first[2..],
                    (_, [var]) if is_scope(&first[2..]) => var,
                    _ => return Err(SqlError::unknown_variable(&parts.join("."))),
                };
                vars::get(self.world, m, self.session, var)
            }
            [user_var] if user_var.starts_with('@') => {
                let v = self
                    .session
                    .user_vars
                    .get(&user_var[1..].to_ascii_lowercase());
                Ok((v.cloned().unwrap_or(Value::Null), Kind::Str))
            }
            _ => self.column(parts),
        }
    }

    fn column(&self, parts: &[&str]) -> Result<(Value, Kind), SqlError> {
        let unknown = || SqlError::unknown_column(&parts.join("."), self.place);
        let (table, alias) = self.table.as_ref().ok_or_else(unknown)?;
        let (qualifier, column) = match parts {
            [column] => (None, *column),
            [t, column] => (Some((None, *t)), *column),
            [s, t, column] => (Some((Some(*s), *t)), *column),
            _ => return Err(unknown()),
        };
        if let Some((schema, t)) = qualifier {
            let schema_ok = schema.is_none_or(|s| s.eq_ignore_ascii_case(table.schema));
            if !schema_ok || !t.eq_ignore_ascii_case(alias) {
                return Err(unknown());
            }
        }
        let index = table
            .columns
            .iter()
            .position(|(name, _)| name.eq_ignore_ascii_case(column))
            .ok_or_else(unknown)?;
        let value = self
            .row
            .and_then(|row| row.get(index))
            .cloned()
            .unwrap_or(Value::Null);
        Ok((value, table.columns[index].1))
    }

    fn binary(
        &self,
        left: &Expr,
        op: &BinaryOperator,
        right: &Expr,
        whole: &Expr,
    ) -> Result<(Value, Kind), SqlError> {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let l = self.eval(left)?.0;
        let r = self.eval(right)?.0;
        let compare = |accept: &[std::cmp::Ordering]| {
            l.compare(&r)
                .map_or(Value::Null, |o| Value::flag(accept.contains(&o)))
        };
        let value = match op {
            BinaryOperator::Eq => compare(&[Equal]),
            BinaryOperator::NotEq => compare(&[Less, Greater]),
            BinaryOperator::Lt => compare(&[Less]),
            BinaryOperator::LtEq => compare(&[Less, Equal]),
            BinaryOperator::Gt => compare(&[Greater]),
            BinaryOperator::GtEq => compare(&[Greater, Equal]),
            BinaryOperator::Spaceship => Value::flag(match (&l, &r) {
                (Value::Null, Value::Null) => true,
                _ => l.compare(&r) == Some(Equal),
            }),
            BinaryOperator::And => match (l.truthy(), r.truthy()) {
                (false, _) if l != Value::Null => Value::Int(0),
                (_, false) if r != Value::Null => Value::Int(0),
                (true, true) => Value::Int(1),
                _ => Value::Null,
            },
            BinaryOperator::Or => match (l.truthy(), r.truthy()) {
                (true, _) | (_, true) => Value::Int(1),
                _ if l == Value::Null || r == Value::Null => Value::Null,
                _ => Value::Int(0),
            },
            _ => return Err(SqlError::not_supported(&whole.to_string())),
        };
        Ok((value, Kind::Int))
    }

    fn function(
        &self,
        function: &sqlparser::ast::Function,
        whole: &Expr,
    ) -> Result<(Value, Kind), SqlError> {
        let name = function.name.to_string().to_ascii_uppercase();
        let args = match &function.args {
            FunctionArguments::None => Vec::new(),
            FunctionArguments::List(list) => list
                .args
                .iter()
                .map(|arg| match arg {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(self.eval(e)?.0),
                    _ => Err(SqlError::not_supported(&whole.to_string())),
                })
                .collect::<Result<Vec<_>, _>>()?,
            FunctionArguments::Subquery(_) => {
                return Err(SqlError::not_supported(&whole.to_string()));
            }
        };
        let member = &self.world.members[self.session.member];
        let text = |s: String| Ok((Value::Str(s), Kind::Str));
        match (name.as_str(), args.as_slice()) {
            ("VERSION", []) => text(member.version.to_string()),
            ("DATABASE" | "SCHEMA", []) => Ok((
                self.session.db.clone().map_or(Value::Null, Value::Str),
                Kind::Str,
            )),
            ("USER" | "CURRENT_USER" | "SESSION_USER", []) => text(self.session.account()),
            ("CONNECTION_ID", []) => {
                Ok((Value::Int(i64::from(self.session.connection_id)), Kind::Int))
            }
            ("NOW" | "CURRENT_TIMESTAMP", []) => {
                let now = crate::tables::timestamp(self.world, self.world.now);
                text(now.chars().take(19).collect())
            }
            ("GTID_SUBSET", [a, b]) => {
                let (a, b) = (gtid_arg(a)?, gtid_arg(b)?);
                Ok((Value::flag(a.is_subset_of(&b)), Kind::Int))
            }
            ("GTID_SUBTRACT", [a, b]) => text(gtid_arg(a)?.subtract(&gtid_arg(b)?).to_string()),
            _ if self.is_known_function(&name) => Err(SqlError::not_supported(&whole.to_string())),
            _ => Err(SqlError::no_such_routine(
                "FUNCTION",
                &format!(
                    "{}.{}",
                    self.session.db.as_deref().unwrap_or("mysql"),
                    name.to_lowercase()
                ),
            )),
        }
    }

    /// Built-in functions MySQL has but the simulator does not evaluate (1235, not 1305).
    fn is_known_function(&self, name: &str) -> bool {
        matches!(
            name,
            "COUNT"
                | "SUM"
                | "IF"
                | "IFNULL"
                | "COALESCE"
                | "CONCAT"
                | "CAST"
                | "MAX"
                | "MIN"
                | "GROUP_CONCAT"
                | "SLEEP"
                | "UUID"
        )
    }
}

fn is_scope(word: &str) -> bool {
    ["global", "session", "local"]
        .iter()
        .any(|s| word.eq_ignore_ascii_case(s))
}

fn not(v: &Value) -> Value {
    match v {
        Value::Null => Value::Null,
        other => Value::flag(!other.truthy()),
    }
}

fn gtid_arg(v: &Value) -> Result<GtidSet, SqlError> {
    let text = v.to_text().unwrap_or_default();
    text.parse().map_err(|_| SqlError::malformed_gtid(&text))
}

/// A literal's value and type.
pub(crate) fn literal(v: &AstValue) -> (Value, Kind) {
    match v {
        AstValue::Number(n, _) => match n.parse::<i64>() {
            Ok(i) => (Value::Int(i), Kind::Int),
            Err(_) => (Value::str(n), Kind::Str),
        },
        AstValue::SingleQuotedString(s) | AstValue::DoubleQuotedString(s) => {
            (Value::str(s), Kind::Str)
        }
        AstValue::Boolean(b) => (Value::flag(*b), Kind::Int),
        AstValue::Null => (Value::Null, Kind::Str),
        other => (Value::Str(other.to_string()), Kind::Str),
    }
}
