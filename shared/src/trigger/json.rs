//! Reading fields out of a JSON object so that every failure names the field's path.
//!
//! `null` counts as absent everywhere: AWS payloads are not consistent about omitting versus
//! nulling optional fields.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::error::{TriggerError, clip};

/// A JSON object being read, and where it sits in the input.
#[derive(Debug, Clone, Copy)]
pub(super) struct Object<'a> {
    map: &'a Map<String, Value>,
    /// Path of this object (`""` for the input itself, else e.g. `detail`).
    path: &'static str,
}

impl<'a> Object<'a> {
    /// The whole input, which must be an object.
    pub(super) fn root(value: &'a Value) -> Result<Self, TriggerError> {
        match value {
            Value::Object(map) => Ok(Object { map, path: "" }),
            other => Err(TriggerError::NotAnObject {
                found: type_name(other),
            }),
        }
    }

    /// Path of a field of this object, as error messages show it.
    pub(super) fn path_of(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// True when the key is present, even with a `null` value.
    pub(super) fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// A field, unless absent or `null`.
    pub(super) fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|value| !value.is_null())
    }

    /// Fails on the first key not in `allowed`, so a misspelt field is an error, not ignored.
    pub(super) fn only(
        &self,
        allowed: &[&str],
        form: &'static str,
        allowed_text: &'static str,
    ) -> Result<(), TriggerError> {
        match self.map.keys().find(|key| !allowed.contains(&key.as_str())) {
            Some(key) => Err(TriggerError::UnexpectedField {
                field: clip(key),
                form,
                allowed: allowed_text,
            }),
            None => Ok(()),
        }
    }

    /// A required object field, e.g. `detail`.
    pub(super) fn object(&self, name: &'static str) -> Result<Object<'a>, TriggerError> {
        match self.get(name) {
            Some(Value::Object(map)) => Ok(Object { map, path: name }),
            Some(other) => Err(self.wrong_type(name, "an object", other)),
            None => Err(self.missing(name)),
        }
    }

    /// A required string field.
    pub(super) fn required_str(&self, name: &str) -> Result<&'a str, TriggerError> {
        self.str(name)?.ok_or_else(|| self.missing(name))
    }

    /// An optional string field.
    pub(super) fn str(&self, name: &str) -> Result<Option<&'a str>, TriggerError> {
        match self.get(name) {
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(self.wrong_type(name, "a string", other)),
            None => Ok(None),
        }
    }

    /// An optional array of strings (absent is empty).
    pub(super) fn strings(&self, name: &str) -> Result<Vec<&'a str>, TriggerError> {
        const EXPECTED: &str = "an array of strings";
        match self.get(name) {
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text.as_str()),
                    other => Err(self.wrong_type(name, EXPECTED, other)),
                })
                .collect(),
            Some(other) => Err(self.wrong_type(name, EXPECTED, other)),
            None => Ok(Vec::new()),
        }
    }

    /// An optional object of string values, such as RDS `Tags` (absent is empty).
    pub(super) fn string_map(&self, name: &str) -> Result<BTreeMap<String, String>, TriggerError> {
        const EXPECTED: &str = "an object of strings";
        match self.get(name) {
            Some(Value::Object(map)) => map
                .iter()
                .map(|(key, value)| match value {
                    Value::String(text) => Ok((key.clone(), text.clone())),
                    other => Err(self.wrong_type(name, EXPECTED, other)),
                })
                .collect(),
            Some(other) => Err(self.wrong_type(name, EXPECTED, other)),
            None => Ok(BTreeMap::new()),
        }
    }

    /// An optional RFC 3339 time.
    pub(super) fn time(&self, name: &str) -> Result<Option<DateTime<Utc>>, TriggerError> {
        let Some(text) = self.str(name)? else {
            return Ok(None);
        };
        DateTime::parse_from_rfc3339(text)
            .map(|time| Some(time.with_timezone(&Utc)))
            .map_err(|_| TriggerError::InvalidTime {
                value: clip(text),
                field: self.path_of(name),
            })
    }

    /// The error for an absent required field.
    pub(super) fn missing(&self, name: &str) -> TriggerError {
        TriggerError::MissingField {
            field: self.path_of(name),
        }
    }

    fn wrong_type(&self, name: &str, expected: &'static str, found: &Value) -> TriggerError {
        TriggerError::WrongType {
            field: self.path_of(name),
            expected,
            found: type_name(found),
        }
    }
}

/// The JSON type of a value, as error messages name it.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
