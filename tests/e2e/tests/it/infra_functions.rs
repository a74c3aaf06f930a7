//! The deployed functions and what surrounds them: environment contract, runtime, timeouts,
//! where failures go, schedule, table, alert routing, and the metrics the alarms watch.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use grkeeper::adapters::mysql::ConnectSettings;
use grkeeper::config::Tls;
use grkeeper::report::metrics::{
    ACTIONS, ALERTS_PARKED, DEPLOYMENT_DIMENSION, DIMENSION, FAULT_TOLERANCE, MEMBERS_ONLINE,
    NAMESPACE, REFUSALS, TICK_DURATION, TICKS,
};
use grkeeper_e2e::invoke::FUNCTION_TIMEOUT;
use grkeeper_e2e::tools;
use serde_json::{Value, json};

use crate::template::{self, Resolved};

/// Variables of docs/configuration.md a deployment never sets.
const LOCAL_ONLY: &[&str] = &["GRKEEPER_ENDPOINT_OVERRIDES", "GRKEEPER_LOCAL_RUN"];

/// Variables the stack sets from itself, not from a parameter of the same default: the
/// deployment is the stack's name, the event instances are its required `EventInstanceIds`.
const FROM_THE_STACK: &[(&str, &str)] = &[
    ("GRKEEPER_DEPLOYMENT", template::STACK),
    ("GRKEEPER_EVENT_INSTANCE_IDS", "orders-1,orders-2,orders-3"),
];

/// Every optional setting given, so every variable the template can set is set.
const ALL_OPTIONAL: &[(&str, &str)] = &[
    ("Clusters", "orders"),
    ("Instances", "orders=orders-1,orders-2,orders-3"),
    ("TlsCaFile", "/opt/ca.pem"),
    ("ExitStateAction", "READ_ONLY"),
    ("PolicyOverrides", r#"{"orders":{"expel":true}}"#),
];

/// The environment of every function of the stack (they must all agree).
fn environment(stack: &Resolved) -> BTreeMap<String, String> {
    let envs: Vec<BTreeMap<String, String>> = stack
        .of_type("AWS::Lambda::Function")
        .map(|(_, f)| {
            serde_json::from_value(f["Properties"]["Environment"]["Variables"].clone()).unwrap()
        })
        .collect();
    assert_eq!(envs.len(), 2, "two functions");
    assert_eq!(
        envs[0], envs[1],
        "both functions read the same configuration"
    );
    envs[0].clone()
}

/// docs/configuration.md: variable -> documented default (`None`: unset unless configured), and
/// which are required. Defaults are the backquoted value of a table's Default column.
fn documented() -> (BTreeMap<String, Option<String>>, BTreeSet<String>) {
    let doc =
        std::fs::read_to_string(tools::workspace_root().join("docs/configuration.md")).unwrap();
    let mut defaults = BTreeMap::new();
    let mut required = BTreeSet::new();
    let mut header: Vec<String> = Vec::new();
    for line in doc.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_owned())
            .collect();
        if cells[0] == "Variable" {
            header = cells;
            continue;
        }
        let Some(name) = cells[0].strip_prefix('`').and_then(|c| c.strip_suffix('`')) else {
            continue;
        };
        let column = |title: &str| {
            header
                .iter()
                .position(|h| h == title)
                .map(|i| cells[i].as_str())
        };
        let default = column("Default")
            .and_then(|d| d.strip_prefix('`')?.strip_suffix('`'))
            .map(str::to_owned);
        if column("Required") == Some("yes") {
            required.insert(name.to_owned());
        }
        defaults.insert(name.to_owned(), default);
    }
    // Variables named only in prose (GRKEEPER_POLICY): optional, unset by default.
    for word in doc.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.starts_with("GRKEEPER_") {
            defaults.entry(word.to_owned()).or_insert(None);
        }
    }
    defaults.insert("RUST_LOG".to_owned(), Some("info".to_owned()));
    assert!(
        defaults.len() > 25,
        "docs/configuration.md parsed badly: {defaults:?}"
    );
    (defaults, required)
}

#[test]
fn template_sets_every_documented_variable_with_its_documented_default() {
    let (defaults, required) = documented();
    let env = environment(&template::resolved(&[]));
    for (name, value) in FROM_THE_STACK {
        assert_eq!(env.get(*name).map(String::as_str), Some(*value), "{name}");
    }
    for (name, default) in &defaults {
        if FROM_THE_STACK.iter().any(|(n, _)| n == name) {
            continue;
        }
        match (default, env.get(name)) {
            (_, Some(_)) if required.contains(name) => {}
            (Some(want), Some(got)) => assert_eq!(got, want, "{name}"),
            (None, None) => {}
            (want, got) => panic!("{name}: documented default {want:?}, template sets {got:?}"),
        }
    }
    let undocumented: Vec<_> = env.keys().filter(|k| !defaults.contains_key(*k)).collect();
    assert!(
        undocumented.is_empty(),
        "set but not in docs/configuration.md: {undocumented:?}"
    );
}

#[test]
fn every_documented_variable_can_be_set_through_the_stack() {
    let (defaults, _) = documented();
    let env = environment(&template::resolved(ALL_OPTIONAL));
    let missing: Vec<_> = defaults
        .keys()
        .filter(|k| !env.contains_key(*k) && !LOCAL_ONLY.contains(&k.as_str()))
        .collect();
    assert!(missing.is_empty(), "no stack parameter sets {missing:?}");
    for name in LOCAL_ONLY {
        assert!(!env.contains_key(*name), "{name} is for local runs only");
    }
    assert_eq!(env["GRKEEPER_POLICY"], r#"{"orders":{"expel":true}}"#);
}

#[test]
fn functions_are_arm64_on_provided_al2023_and_never_throttled_to_zero() {
    let stack = template::resolved(&[]);
    for (id, function) in stack.of_type("AWS::Lambda::Function") {
        let p = &function["Properties"];
        assert_eq!(p["Runtime"], "provided.al2023", "{id}");
        assert_eq!(p["Architectures"], json!(["arm64"]), "{id}");
        assert_eq!(p["Handler"], "bootstrap", "{id}");
        // Zero reserved concurrency throttles every invocation (AWS guidance sample's mistake).
        if let Some(reserved) = p.get("ReservedConcurrentExecutions") {
            assert!(
                reserved.as_u64().unwrap() > 0,
                "{id}: reserved concurrency {reserved}"
            );
        }
        assert!(
            !p["VpcConfig"]["SubnetIds"].as_array().unwrap().is_empty(),
            "{id} runs in the VPC"
        );
    }
}

/// Journal writes and alerts after the last observation.
const WRAP_UP: Duration = Duration::from_secs(5);

#[test]
fn function_timeout_fits_inside_the_lease_and_an_action_fits_inside_the_timeout() {
    let translated = template::translated();
    let stack = Resolved::new(&translated, template::REQUIRED);
    let parameter = |name: &str, field: &str| {
        translated["Parameters"][name][field]
            .as_u64()
            .unwrap_or_else(|| panic!("parameter {name} has no {field}"))
    };
    // The worst case the parameters allow, with grkeeper's own bound on a probe: observe, act,
    // wait for verification (whose last probe may start just before its deadline), observe
    // again, journal and alert.
    let settings = ConnectSettings {
        connect_timeout: Duration::from_millis(parameter("ConnectTimeoutMs", "MaxValue")),
        query_timeout: Duration::from_millis(parameter("QueryTimeoutMs", "MaxValue")),
        tls: Tls::Disabled,
    };
    let probe = settings.probe_deadline();
    let verify = Duration::from_secs(parameter("VerifyTimeoutSecs", "MaxValue"));
    let one_action = probe + settings.query_timeout + verify + probe + probe + WRAP_UP;
    for (id, function) in stack.of_type("AWS::Lambda::Function") {
        let timeout = function["Properties"]["Timeout"].as_u64().unwrap();
        // A timed-out tick must have lost the lease before another tick can take it over.
        assert!(
            timeout < parameter("LeaseSecs", "MinValue"),
            "{id}: timeout {timeout}"
        );
        assert!(
            one_action <= Duration::from_secs(timeout),
            "{id}: one action may take {one_action:?}, the timeout is {timeout} s"
        );
    }
}

#[test]
fn in_process_invocations_get_the_deadline_the_template_gives_the_functions() {
    let stack = template::resolved(&[]);
    for (id, function) in stack.of_type("AWS::Lambda::Function") {
        assert_eq!(
            function["Properties"]["Timeout"].as_u64(),
            Some(FUNCTION_TIMEOUT.as_secs()),
            "{id}"
        );
    }
}

#[test]
fn failed_invocations_and_undeliverable_events_land_in_the_dead_letter_queue() {
    let stack = template::resolved(&[]);
    let dlq = "arn:aws:sqs:us-east-1:123456789012:DeadLetterQueue";
    let configs: Vec<_> = stack.of_type("AWS::Lambda::EventInvokeConfig").collect();
    assert_eq!(
        configs.len(),
        2,
        "one asynchronous invocation config per function"
    );
    for (id, config) in configs {
        assert_eq!(
            config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"], dlq,
            "{id}"
        );
        assert!(
            config["Properties"]["MaximumRetryAttempts"].is_u64(),
            "{id}"
        );
    }
    let mut rule_arns = Vec::new();
    for (id, rule) in stack.of_type("AWS::Events::Rule") {
        let rule_arn = format!("arn:aws:events:us-east-1:123456789012:rule/{id}");
        for target in rule["Properties"]["Targets"].as_array().unwrap() {
            assert_eq!(target["DeadLetterConfig"]["Arn"], dlq, "{id}");
            let function = target["Arn"].as_str().unwrap().rsplit(':').next().unwrap();
            let invokable = stack.of_type("AWS::Lambda::Permission").any(|(_, p)| {
                p["Properties"]["FunctionName"] == function
                    && p["Properties"]["SourceArn"] == rule_arn.as_str()
            });
            assert!(invokable, "{id} has no permission to invoke {function}");
        }
        rule_arns.push(rule_arn);
    }
    let policy =
        &stack.resource("DeadLetterQueuePolicy")["Properties"]["PolicyDocument"]["Statement"][0];
    assert_eq!(
        policy["Principal"],
        json!({"Service": "events.amazonaws.com"})
    );
    assert_eq!(
        policy["Condition"]["ArnEquals"]["aws:SourceArn"],
        json!(rule_arns)
    );
}

#[test]
fn sweep_runs_every_minute_on_the_scheduled_event_envelope() {
    let stack = template::resolved(&[]);
    let rule = &stack.resource("SweepScheduleRule")["Properties"];
    assert_eq!(rule["ScheduleExpression"], "rate(1 minute)");
    let target = &rule["Targets"][0];
    assert_eq!(
        target["Arn"],
        "arn:aws:lambda:us-east-1:123456789012:function:SweepFunction"
    );
    // A constant Input would replace the envelope the function parses (docs/events.md, Schedule).
    for key in ["Input", "InputPath", "InputTransformer"] {
        assert!(target.get(key).is_none(), "sweep target has {key}");
    }
}

#[test]
fn table_has_the_journal_keys_ttl_on_demand_billing_and_point_in_time_recovery() {
    let stack = template::resolved(&[]);
    let table = &stack.resource("Table")["Properties"];
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        table["KeySchema"],
        json!([{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
    );
    assert_eq!(
        table["AttributeDefinitions"],
        json!([{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}])
    );
    assert_eq!(
        table["TimeToLiveSpecification"],
        json!({"AttributeName": "expires_at", "Enabled": true})
    );
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
}

#[test]
fn paging_gets_critical_incidents_opened_or_updated_only_and_e_mail_gets_everything() {
    let none = template::resolved(&[]);
    assert_eq!(
        none.of_type("AWS::SNS::Subscription").count(),
        0,
        "no subscriber unless asked"
    );

    let stack = template::resolved(&[
        ("AlertEmail", "dba@example.com"),
        ("PagingHttpsEndpoint", "https://pager.example.com/hook"),
    ]);
    let paging = &stack.resource("AlertPagingSubscription")["Properties"];
    assert_eq!(paging["Protocol"], "https");
    assert_eq!(paging["FilterPolicyScope"], "MessageAttributes");
    assert_eq!(
        paging["FilterPolicy"],
        json!({"severity": ["critical"], "transition": ["opened", "updated"]})
    );
    let email = &stack.resource("AlertEmailSubscription")["Properties"];
    assert_eq!(email["Protocol"], "email");
    assert!(email.get("FilterPolicy").is_none());
    // Alarm notifications carry no severity attribute: paging takes them all, unfiltered.
    assert!(
        stack.resource("AlarmPagingSubscription")["Properties"]
            .get("FilterPolicy")
            .is_none()
    );
}

#[test]
fn alarms_dashboard_and_deploy_doc_use_the_metrics_the_functions_emit() {
    const METRICS: [&str; 7] = [
        MEMBERS_ONLINE,
        FAULT_TOLERANCE,
        TICK_DURATION,
        ACTIONS,
        REFUSALS,
        TICKS,
        ALERTS_PARKED,
    ];
    let stack = template::resolved(&[]);
    let query =
        |alarm: &str| stack.resource(alarm)["Properties"]["Metrics"][0]["Expression"].clone();
    assert_eq!(
        query("FaultToleranceAlarm"),
        format!(
            r#"SELECT MIN({FAULT_TOLERANCE}) FROM SCHEMA("{NAMESPACE}", {DEPLOYMENT_DIMENSION}, {DIMENSION}) WHERE {DEPLOYMENT_DIMENSION} = '{}'"#,
            template::STACK
        )
    );
    assert_eq!(
        query("TicksAlarm"),
        format!(
            r#"SELECT SUM({TICKS}) FROM SCHEMA("{NAMESPACE}", {DEPLOYMENT_DIMENSION}, {DIMENSION}) WHERE {DEPLOYMENT_DIMENSION} = '{}'"#,
            template::STACK
        )
    );
    assert_eq!(
        stack.resource("TicksAlarm")["Properties"]["TreatMissingData"],
        "breaching"
    );
    assert_eq!(
        query("AlertsParkedAlarm"),
        format!(
            r#"SELECT SUM({ALERTS_PARKED}) FROM SCHEMA("{NAMESPACE}", {DEPLOYMENT_DIMENSION}, {DIMENSION}) WHERE {DEPLOYMENT_DIMENSION} = '{}'"#,
            template::STACK
        )
    );

    let body = stack.resource("Dashboard")["Properties"]["DashboardBody"]
        .as_str()
        .unwrap()
        .to_owned();
    let _: Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("dashboard JSON: {e}\n{body}"));
    let deploy = std::fs::read_to_string(tools::workspace_root().join("docs/deploy.md")).unwrap();
    assert!(
        deploy.contains(&format!(
            "namespace `{NAMESPACE}` with dimensions `{DEPLOYMENT_DIMENSION}` and `{DIMENSION}`"
        )),
        "docs/deploy.md: namespace and dimension"
    );
    for metric in METRICS {
        assert!(
            body.contains(&format!(
                r#"SEARCH('{{{NAMESPACE},{DEPLOYMENT_DIMENSION},{DIMENSION}}} {DEPLOYMENT_DIMENSION}=\"{}\" MetricName=\"{metric}\""#,
                template::STACK
            )),
            "dashboard: {metric}"
        );
        assert!(
            deploy.contains(&format!("`{metric}`")),
            "docs/deploy.md: {metric}"
        );
    }
}
