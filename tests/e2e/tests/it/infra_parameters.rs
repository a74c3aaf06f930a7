//! The stack's parameters as CloudFormation checks them before it creates anything: the
//! assertions of the `Rules` section (which accept only the rule functions), and the parameters'
//! own constraints.

use std::collections::BTreeSet;
use std::process::Command;

use grkeeper_e2e::tools;
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

/// Which of `values` the `AllowedPattern` of parameter `name` accepts. Python's `re` reads these
/// patterns as CloudFormation's Java regular expressions do, and the pinned Python is here
/// anyway (it translates the template).
fn accepted<'v>(name: &str, values: &[&'v str]) -> Vec<&'v str> {
    let translated = template::translated();
    let pattern = translated["Parameters"][name]["AllowedPattern"]
        .as_str()
        .unwrap_or_else(|| panic!("parameter {name} has no AllowedPattern"));
    let python = tools::py_tool("python3").unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(python)
        .args([
            "-c",
            "import re, sys\nfor v in sys.argv[2:]: print(bool(re.fullmatch(sys.argv[1], v)))",
            pattern,
        ])
        .args(values)
        .output()
        .expect("run python3");
    assert!(out.status.success(), "{out:?}");
    let verdicts = String::from_utf8_lossy(&out.stdout).into_owned();
    values
        .iter()
        .zip(verdicts.lines())
        .filter(|(_, verdict)| *verdict == "True")
        .map(|(value, _)| *value)
        .collect()
}

#[test]
fn an_existing_secret_is_given_by_the_complete_arn_the_policy_grants() {
    let complete = "arn:aws:secretsmanager:us-east-1:123456789012:secret:grkeeper/members-AbC123";
    let values = [
        "",
        complete,
        "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:gr_members.v2-x1Y2z3",
        // Partial ARNs, without the suffix: the policy would not match them.
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:grkeeper/members",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:grkeeper/members-",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:-AbC123",
        "grkeeper/members",
    ];
    assert_eq!(accepted("DatabaseSecretArn", &values), values[..3]);
}

/// `infra/samconfig.example.toml`'s `parameter_overrides`, as `Key=Value` pairs.
fn example_parameters() -> Vec<(String, String)> {
    let text =
        std::fs::read_to_string(tools::workspace_root().join("infra/samconfig.example.toml"))
            .expect("infra/samconfig.example.toml");
    let list = text
        .split_once("parameter_overrides = [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .expect("a parameter_overrides list");
    list.lines()
        .map(str::trim)
        .filter(|l| l.starts_with('"'))
        .map(|l| {
            let item = l.trim_end_matches(',').trim_matches('"');
            let (key, value) = item.split_once('=').expect("Key=Value");
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

#[test]
fn the_example_parameters_file_deploys_as_the_template_allows() {
    let parameters = example_parameters();
    assert!(parameters.len() >= 10, "{parameters:?}");
    let pairs: Vec<(&str, &str)> = parameters
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let translated = template::translated();
    // Every name is a parameter and every required one is given (Resolved::new checks both).
    let _ = template::Resolved::new(&translated, &pairs);
    assert_eq!(
        template::failed_assertions(&translated, &pairs),
        Vec::<String>::new()
    );
    for (name, value) in &pairs {
        let declared = &translated["Parameters"][*name];
        if let Some(allowed) = declared["AllowedValues"].as_array() {
            assert!(
                allowed.iter().any(|a| template::scalar(a) == *value),
                "{name}={value} not in {allowed:?}"
            );
        }
        if declared.get("AllowedPattern").is_some() {
            assert_eq!(accepted(name, &[value]), [*value], "{name}={value}");
        }
        if let Some(n) = value
            .parse::<f64>()
            .ok()
            .filter(|_| declared["Type"] == "Number")
        {
            let bound = |key: &str| declared[key].as_f64();
            assert!(
                bound("MinValue").is_none_or(|min| n >= min),
                "{name}={value}"
            );
            assert!(
                bound("MaxValue").is_none_or(|max| n <= max),
                "{name}={value}"
            );
        }
    }
}
