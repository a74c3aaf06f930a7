//! SQL values and result sets: MySQL's loose comparisons (strings compared without case,
//! strings against numbers as numbers), LIKE patterns, and the column metadata clients see.

use std::cmp::Ordering;

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Str(String),
}

impl Value {
    pub fn str(text: impl Into<String>) -> Value {
        Value::Str(text.into())
    }

    pub fn flag(on: bool) -> Value {
        Value::Int(i64::from(on))
    }

    /// The text protocol form (None is SQL NULL).
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Int(n) => Some(n.to_string()),
            Value::Str(s) => Some(s.clone()),
        }
    }

    /// MySQL's numeric reading: leading digits of a string, 0 when there are none.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Null => None,
            Value::Int(n) => Some(*n),
            Value::Str(s) => {
                let s = s.trim();
                let (sign, digits) = match s.strip_prefix('-') {
                    Some(rest) => (-1, rest),
                    None => (1, s.strip_prefix('+').unwrap_or(s)),
                };
                let digits: String = digits.chars().take_while(char::is_ascii_digit).collect();
                Some(sign * digits.parse::<i64>().unwrap_or(0))
            }
        }
    }

    /// True for a non-zero number (what WHERE keeps).
    pub fn truthy(&self) -> bool {
        self.as_i64().is_some_and(|n| n != 0)
    }

    /// SQL comparison; None when either side is NULL.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Null, _) | (_, Value::Null) => None,
            (Value::Str(a), Value::Str(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
            (a, b) => Some(a.as_i64()?.cmp(&b.as_i64()?)),
        }
    }

    /// `self LIKE pattern` with `%`, `_` and backslash escapes, ignoring case.
    pub fn like(&self, pattern: &Value) -> Option<bool> {
        let text: Vec<char> = self.to_text()?.to_lowercase().chars().collect();
        let pattern: Vec<char> = pattern.to_text()?.to_lowercase().chars().collect();
        Some(like_match(&text, &pattern))
    }
}

fn like_match(text: &[char], pattern: &[char]) -> bool {
    // state[k]: the text read so far matches the first k pattern tokens.
    let tokens = tokenize(pattern);
    let mut state = vec![true];
    state.extend(std::iter::repeat_n(false, tokens.len()));
    for (k, token) in tokens.iter().enumerate() {
        if *token == Token::Any {
            state[k + 1] = state[k];
        }
    }
    for &c in text {
        let mut next = vec![false; tokens.len() + 1];
        for (k, token) in tokens.iter().enumerate() {
            next[k + 1] = match token {
                Token::Any => next[k] || state[k + 1],
                Token::One => state[k],
                Token::Char(p) => state[k] && *p == c,
            };
        }
        state = next;
    }
    state[tokens.len()]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Any,
    One,
    Char(char),
}

fn tokenize(pattern: &[char]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = pattern.iter().copied();
    while let Some(c) = chars.next() {
        out.push(match c {
            '%' => Token::Any,
            '_' => Token::One,
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            other => Token::Char(other),
        });
    }
    out
}

/// Column types the simulator sends (the text protocol carries every value as text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// BIGINT.
    Int,
    /// VARCHAR in utf8mb4.
    Str,
    /// TIMESTAMP(6).
    Timestamp,
}

/// A result-set column as described to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    pub name: String,
    pub org_name: String,
    pub table: String,
    pub org_table: String,
    pub schema: String,
    pub kind: Kind,
}

impl Column {
    /// A computed column (no table behind it).
    pub fn computed(name: impl Into<String>, kind: Kind) -> Column {
        Column {
            name: name.into(),
            org_name: String::new(),
            table: String::new(),
            org_table: String::new(),
            schema: String::new(),
            kind,
        }
    }
}

/// Rows to send.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ResultSet {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_follows_mysql_wildcards_and_case() {
        let v = Value::str("Undergoing auto-rejoin procedure");
        assert_eq!(v.like(&Value::str("%AUTO-REJOIN%")), Some(true));
        assert_eq!(v.like(&Value::str("Undergoing_auto%")), Some(true));
        assert_eq!(v.like(&Value::str("auto%")), Some(false));
        assert_eq!(Value::str("a_b").like(&Value::str("a\\_b")), Some(true));
        assert_eq!(Value::str("axb").like(&Value::str("a\\_b")), Some(false));
        assert_eq!(Value::Null.like(&Value::str("%")), None);
    }

    #[test]
    fn strings_compare_to_numbers_as_numbers() {
        assert_eq!(
            Value::str("10").compare(&Value::Int(9)),
            Some(Ordering::Greater)
        );
        assert_eq!(
            Value::str("Repl").compare(&Value::str("repl")),
            Some(Ordering::Equal)
        );
        assert_eq!(Value::Null.compare(&Value::Int(1)), None);
    }
}
