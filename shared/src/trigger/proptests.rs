//! Property tests: no input makes the parser panic; whatever it accepts carries only names that
//! follow their rules and that the input really contains; whatever it rejects, it says in one line.
//!
//! Inputs: arbitrary bytes, arbitrary JSON (biased towards the keys and values the parser looks
//! for, so that it gets past the first check), arbitrary envelopes, and the samples in `events/`
//! with fields dropped, retyped or edited. Case counts keep the whole file to a few seconds.

use std::sync::OnceLock;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::Value;

use super::*;

const KEYS: &[&str] = &[
    "source",
    "detail-type",
    "detail",
    "time",
    "resources",
    "action",
    "grkeeper",
    "cluster",
    "instance",
    "EventCategories",
    "SourceType",
    "SourceArn",
    "Date",
    "Message",
    "SourceIdentifier",
    "EventID",
    "Tags",
];

const TEXTS: &[&str] = &[
    "aws.rds",
    "aws.events",
    "RDS DB Instance Event",
    "RDS DB Cluster Event",
    "RDS DB Parameter Group Event",
    "Scheduled Event",
    "sweep",
    "schedule",
    "orders",
    "orders-1",
    "Orders-2",
    "rds:orders-1",
    "x;DROP",
    "DB_INSTANCE",
    "CLUSTER",
    "DB_PARAM",
    "RDS-EVENT-0006",
    "2025-03-04T10:15:42.123Z",
    "arn:aws:rds:us-east-1:123456789012:db:orders-1",
    "arn:aws-cn:rds:cn-north-1:123456789012:db:orders-2",
    "arn:aws-us-gov:rds:us-gov-west-1:123456789012:cluster:orders-aurora",
    "arn:aws:rds:us-east-1:123456789012:pg:default.mysql8.0",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(TEXTS).prop_map(str::to_owned),
        1 => "[a-zA-Z0-9:.;_-]{0,24}",
        1 => any::<String>(),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![3 => select(KEYS).prop_map(str::to_owned), 1 => any::<String>()]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(key(), inner, 0..8).prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A name as it may appear in an event: mostly plausible, sometimes one odd character off.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => select(&["orders-1", "Orders-2", "orders-aurora", "default.mysql8.0", "x;DROP"][..])
            .prop_map(str::to_owned),
        2 => "[a-zA-Z][a-zA-Z0-9._-]{0,8}",
        1 => ("[a-z]{1,4}", odd_char(), "[a-z0-9-]{0,4}").prop_map(|(a, c, b)| format!("{a}{c}{b}")),
    ]
}

/// Characters that must never get into a name, and now and then any character at all.
fn odd_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => select(&[';', '\'', '"', ' ', '\n', '\\', '/', ':', '_', '.', '-', '\0', 'é', '\u{2028}'][..]),
        1 => any::<char>(),
    ]
}

fn arn() -> impl Strategy<Value = String> {
    let partition = select(&["aws", "aws-cn", "aws-us-gov", "aws-iso-b", "azure", "aws-"][..]);
    let region = select(&["us-east-1", "cn-north-1", "us-gov-west-1", "", "US"][..]);
    let account = select(&["123456789012", "1234"][..]);
    let kind = select(&["db", "cluster", "pg", "snapshot"][..]);
    (partition, region, account, kind, name()).prop_map(
        |(partition, region, account, kind, name)| {
            format!("arn:{partition}:rds:{region}:{account}:{kind}:{name}")
        },
    )
}

/// An envelope of a supported kind, each field absent, plausible, or (rarely) any JSON at all.
fn envelope() -> impl Strategy<Value = Value> {
    fn field<S: Strategy<Value = Value> + 'static>(
        plausible: S,
    ) -> impl Strategy<Value = Option<Value>> {
        proptest::option::weighted(0.7, prop_oneof![9 => plausible, 1 => json()])
    }
    let strings =
        |of: BoxedStrategy<String>| vec(of.prop_map(Value::from), 0..3).prop_map(Value::Array);
    let detail = (
        field(prop_oneof![
            name().prop_map(Value::from),
            name().prop_map(|n| Value::from(format!("rds:{n}"))),
        ]),
        field(arn().prop_map(Value::from)),
        field(strings(arn().boxed())),
        field("RDS-EVENT-[0-9]{3,7}".prop_map(Value::from)),
        field(
            select(&["DB_INSTANCE", "CLUSTER", "DB_PARAM", "SNAPSHOT"][..]).prop_map(Value::from),
        ),
        field(select(&["2025-03-04T10:15:42.123Z", "2025-03-04 10:15"][..]).prop_map(Value::from)),
        field(strings(text().boxed())),
        field(btree_map(text(), text(), 0..3).prop_map(|tags| serde_json::json!(tags))),
    );
    (select(&TEXTS[..2]), select(&TEXTS[2..6]), detail).prop_map(|(source, detail_type, detail)| {
        let (identifier, source_arn, resources, event_id, source_type, date, categories, tags) =
            detail;
        let mut event =
            serde_json::json!({"source": source, "detail-type": detail_type, "detail": {}});
        let fields = [
            ("SourceIdentifier", identifier),
            ("SourceArn", source_arn),
            ("EventID", event_id),
            ("SourceType", source_type),
            ("Date", date),
            ("EventCategories", categories),
            ("Tags", tags),
        ];
        for (key, value) in fields {
            if let Some(value) = value {
                event["detail"][key] = value;
            }
        }
        if let Some(resources) = resources {
            event["resources"] = resources;
        }
        event
    })
}

/// Every sample event, valid or not.
fn samples() -> &'static [Value] {
    static SAMPLES: OnceLock<Vec<Value>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
        let mut found = Vec::new();
        for dir in [root.clone(), root.join("invalid")] {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
                found.extend(serde_json::from_str::<Value>(&text));
            }
        }
        assert!(
            found.len() > 10,
            "samples not found under {}",
            root.display()
        );
        found
    })
}

/// One change to one field of a sample.
#[derive(Debug, Clone)]
enum Mutation {
    Remove,
    Replace(Value),
    /// Insert a character into a string (or replace a non-string with it).
    Insert(Index, char),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Remove),
        json().prop_map(Mutation::Replace),
        (any::<Index>(), odd_char()).prop_map(|(at, c)| Mutation::Insert(at, c)),
    ]
}

/// Applies `mutation` to the field at `at` among all fields of `value` (depth first).
fn apply(value: &mut Value, at: Index, mutation: Mutation) {
    let mut paths = Vec::new();
    collect_paths(value, &mut Vec::new(), &mut paths);
    let Some(path) = paths.get(at.index(paths.len().max(1))) else {
        return;
    };
    let (last, parent) = path.split_last().unwrap();
    let mut node = &mut *value;
    for step in parent {
        node = step_into(node, step);
    }
    match (mutation, node) {
        (Mutation::Remove, Value::Object(map)) => drop(map.remove(last.as_str())),
        (Mutation::Remove, Value::Array(items)) => drop(items.remove(last.parse().unwrap())),
        (Mutation::Replace(new), node) => *step_into(node, last) = new,
        (Mutation::Insert(at, c), node) => {
            let field = step_into(node, last);
            let mut text = field.as_str().unwrap_or_default().to_owned();
            let byte = text
                .char_indices()
                .map(|(i, _)| i)
                .nth(at.index(text.chars().count() + 1));
            text.insert(byte.unwrap_or(text.len()), c);
            *field = Value::String(text);
        }
        (Mutation::Remove, _) => unreachable!("paths only lead through objects and arrays"),
    }
}

fn collect_paths(value: &Value, prefix: &mut Vec<String>, paths: &mut Vec<Vec<String>>) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => return,
    };
    for (step, child) in children {
        prefix.push(step);
        paths.push(prefix.clone());
        collect_paths(child, prefix, paths);
        prefix.pop();
    }
}

fn step_into<'a>(node: &'a mut Value, step: &str) -> &'a mut Value {
    match node {
        Value::Object(map) => map.get_mut(step).unwrap(),
        Value::Array(items) => &mut items[step.parse::<usize>().unwrap()],
        _ => unreachable!("paths only lead through objects and arrays"),
    }
}

/// What must hold for every input, accepted or not.
fn check(input_text: &str, result: Result<Trigger, TriggerError>) -> Result<(), TestCaseError> {
    match result {
        Ok(trigger) => {
            let json = serde_json::to_value(&trigger).unwrap();
            prop_assert!(json["kind"].is_string());
            let names = [
                ("instance", is_rds_name as fn(&str) -> bool),
                ("db_cluster", is_rds_name),
                ("parameter_group", is_parameter_group),
                ("cluster", is_cluster_name),
            ];
            for (field, valid) in names {
                if let Some(name) = json.get(field).and_then(Value::as_str) {
                    prop_assert!(valid(name), "{field} {name:?} accepted");
                    // Nothing made up: the name is in the input (ignoring case).
                    prop_assert!(input_text.to_lowercase().contains(&name.to_lowercase()));
                }
            }
        }
        Err(error) => {
            let message = error.to_string();
            prop_assert!(!message.is_empty() && message.len() < 600, "{message}");
            prop_assert!(!message.contains(['\n', '\r']), "{message}");
            prop_assert!(!error.kind().is_empty());
        }
    }
    Ok(())
}

/// RDS instance and DB cluster identifiers, written out independently of `names.rs`.
fn is_rds_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !name.ends_with('-')
        && !name.contains("--")
}

fn is_parameter_group(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=255).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(b))
        && !name.ends_with('-')
        && !name.contains("--")
}

fn is_cluster_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(b))
        && !name.ends_with('-')
        && !name.contains("--")
}

proptest! {
    #![proptest_config(crate::proptest_seed::config(3000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..400)) {
        check(&String::from_utf8_lossy(&bytes), parse(&bytes))?;
    }

    #[test]
    fn arbitrary_json_never_panics(input in json()) {
        let text = input.to_string();
        check(&text, from_value(&input))?;
        // Bytes and value take the same path.
        prop_assert_eq!(parse(text.as_bytes()), from_value(&input));
    }

    #[test]
    fn arbitrary_envelopes_never_panic(input in envelope()) {
        check(&input.to_string(), from_value(&input))?;
    }

    #[test]
    fn mutated_sample_events_never_panic(
        sample in any::<Index>(),
        mutations in vec((any::<Index>(), mutation()), 1..4),
    ) {
        let mut input = sample.get(samples()).clone();
        for (at, mutation) in mutations {
            apply(&mut input, at, mutation);
        }
        check(&input.to_string(), from_value(&input))?;
    }
}
