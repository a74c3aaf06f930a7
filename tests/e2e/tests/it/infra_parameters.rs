//! The stack's parameters as CloudFormation checks them before it creates anything: the
//! assertions of the `Rules` section (which accept only the rule functions), and the parameters'
//! own constraints.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::template;

/// The functions CloudFormation accepts in a rule's condition and assertions (AWS rule
/// functions reference); `Ref` reads a parameter. Anything else (`Fn::Join`, `Fn::Sub`...)
/// fails the stack at create time, which no offline linter here reports.
const RULE_FUNCTIONS: &[&str] = &[
    "Fn::And",
    "Fn::Contains",
    "Fn::EachMemberEquals",
    "Fn::EachMemberIn",
    "Fn::Equals",
    "Fn::If",
    "Fn::Not",
    "Fn::Or",
    "Fn::RefAll",
    "Fn::ValueOf",
    "Fn::ValueOfAll",
    "Ref",
];

/// Every function name (`Ref`, `Condition`, `Fn::*`) used anywhere under `node`.
fn functions_in(node: &Value, found: &mut BTreeSet<String>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                if key == "Ref" || key == "Condition" || key.starts_with("Fn::") {
                    found.insert(key.clone());
                }
                functions_in(value, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| functions_in(item, found)),
        _ => {}
    }
}

#[test]
fn rules_use_only_the_functions_cloudformation_allows_in_rules() {
    let translated = template::translated();
    let rules = translated.get("Rules").expect("the template has rules");
    let mut used = BTreeSet::new();
    functions_in(rules, &mut used);
    assert!(!used.is_empty(), "no function found in {rules}");
    let refused: Vec<&String> = used
        .iter()
        .filter(|f| !RULE_FUNCTIONS.contains(&f.as_str()))
        .collect();
    assert!(
        refused.is_empty(),
        "not allowed in Rules: {refused:?} (allowed: {RULE_FUNCTIONS:?})"
    );
}

#[test]
fn event_instance_ids_must_name_instances_and_no_empty_one() {
    let translated = template::translated();
    let with = |ids: &str| {
        let values: Vec<(&str, &str)> = template::REQUIRED
            .iter()
            .copied()
            .filter(|(name, _)| *name != "EventInstanceIds")
            .chain([("EventInstanceIds", ids)])
            .collect();
        template::failed_assertions(&translated, &values)
    };
    assert_eq!(with("orders-1,orders-2,orders-3"), Vec::<String>::new());
    assert_eq!(with("orders-1"), Vec::<String>::new());
    for refused in ["", "orders-1,,orders-3", "orders-1,"] {
        let failed = with(refused);
        assert_eq!(failed.len(), 1, "{refused:?}: {failed:?}");
        assert!(
            failed[0].starts_with("EventInstancesGiven: "),
            "{refused:?}: {failed:?}"
        );
    }
}
