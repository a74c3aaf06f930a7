//! A Lambda input read strictly ([`Input`]): JSON in which an object repeats a key is refused
//! rather than read with the last value winning (two readers of the same bytes could then see
//! different events), and an input above [`MAX_INPUT_BYTES`] is refused before it is read. The
//! Lambda runtime hands the handler an [`Input`]; `parse` reads bytes the same way.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::TriggerError;

/// The largest input read: an EventBridge event is at most 256 KiB.
pub const MAX_INPUT_BYTES: usize = 256 * 1024;

/// A JSON value, and where it repeated a key, if it did.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    value: Value,
    /// The path of the first repeated key (`detail.EventID`).
    repeated: Option<String>,
}

impl From<Value> for Input {
    /// A value already parsed (a `Value` cannot hold a repeated key).
    fn from(value: Value) -> Input {
        Input {
            value,
            repeated: None,
        }
    }
}

impl Input {
    /// The value, unless a key was repeated or it is too large.
    pub fn checked(&self) -> Result<&Value, TriggerError> {
        if let Some(field) = &self.repeated {
            return Err(TriggerError::RepeatedKey {
                field: super::error::clip(field),
            });
        }
        let size = serde_json::to_vec(&self.value).map_or(usize::MAX, |b| b.len());
        if size > MAX_INPUT_BYTES {
            return Err(TriggerError::TooLarge { bytes: size });
        }
        Ok(&self.value)
    }

    /// Reads `bytes` strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Input, TriggerError> {
        if bytes.len() > MAX_INPUT_BYTES {
            return Err(TriggerError::TooLarge { bytes: bytes.len() });
        }
        serde_json::from_slice(bytes).map_err(|e| TriggerError::NotJson {
            reason: e.to_string(),
        })
    }
}

impl<'de> Deserialize<'de> for Input {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Input, D::Error> {
        deserializer.deserialize_any(InputVisitor)
    }
}

struct InputVisitor;

fn plain(value: Value) -> Input {
    Input::from(value)
}

impl<'de> Visitor<'de> for InputVisitor {
    type Value = Input;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Input, E> {
        Ok(plain(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Input, E> {
        Ok(plain(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Input, E> {
        Ok(plain(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Input, E> {
        Ok(plain(Value::from(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Input, E> {
        Ok(plain(Value::String(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Input, E> {
        Ok(plain(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<Input, E> {
        Ok(plain(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Input, E> {
        Ok(plain(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Input, D::Error> {
        Input::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Input, A::Error> {
        let mut items = Vec::new();
        let mut repeated = None;
        while let Some(item) = seq.next_element::<Input>()? {
            if repeated.is_none() {
                repeated = item.repeated.map(|path| format!("{}.{path}", items.len()));
            }
            items.push(item.value);
        }
        Ok(Input {
            value: Value::Array(items),
            repeated,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Input, A::Error> {
        let mut object = Map::new();
        let mut repeated = None;
        while let Some(key) = map.next_key::<String>()? {
            let item: Input = map.next_value()?;
            if repeated.is_none() {
                if object.contains_key(&key) {
                    repeated = Some(key.clone());
                } else if let Some(path) = &item.repeated {
                    repeated = Some(format!("{key}.{path}"));
                }
            }
            // The first value stands; the input is refused anyway.
            object.entry(key).or_insert(item.value);
        }
        Ok(Input {
            value: Value::Object(object),
            repeated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_is_refused_with_its_path_at_any_depth() {
        for (text, path) in [
            (r#"{"action": "sweep", "action": "sweep"}"#, "action"),
            (
                r#"{"source": "aws.rds", "detail": {"EventID": "a", "EventID": "b"}}"#,
                "detail.EventID",
            ),
            (
                r#"{"resources": [{"x": 1}, {"x": 1, "x": 2}]}"#,
                "resources.1.x",
            ),
        ] {
            let input = Input::from_bytes(text.as_bytes()).unwrap();
            match input.checked() {
                Err(TriggerError::RepeatedKey { field }) => assert_eq!(field, path, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn input_without_repeated_keys_reads_as_serde_json_reads_it() {
        let text = r#"{"a": [1, 2.5, "x", null, true, {"b": {}}], "c": -3}"#;
        let input = Input::from_bytes(text.as_bytes()).unwrap();
        let plain: Value = serde_json::from_str(text).unwrap();
        assert_eq!(input.checked().unwrap(), &plain);
    }

    #[test]
    fn an_input_above_the_cap_is_refused_before_it_is_read() {
        let big = format!(
            r#"{{"action": "sweep", "pad": "{}"}}"#,
            "x".repeat(MAX_INPUT_BYTES)
        );
        assert!(matches!(
            Input::from_bytes(big.as_bytes()),
            Err(TriggerError::TooLarge { .. })
        ));
        let value: Value = serde_json::from_str(&big).unwrap();
        assert!(matches!(
            Input::from(value).checked(),
            Err(TriggerError::TooLarge { .. })
        ));
    }
}
