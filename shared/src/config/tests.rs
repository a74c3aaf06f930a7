//! Config loading from a map: defaults, every variable's parsing, and error messages that name
//! the variable.

use std::collections::BTreeMap;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;

use super::*;
use crate::snapshot::{BootstrapPolicy, Mode};

const REQUIRED: [(&str, &str); 3] = [
    (
        "GRKEEPER_SECRET_ARN",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:gr",
    ),
    ("GRKEEPER_TABLE", "grkeeper"),
    (
        "GRKEEPER_TOPIC_ARN",
        "arn:aws:sns:us-east-1:123456789012:gr",
    ),
];

fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut map: BTreeMap<String, String> = REQUIRED
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (k, v) in vars {
        map.insert(k.to_string(), v.to_string());
    }
    Config::from_lookup(|name| map.get(name).cloned())
}

fn problems(vars: &[(&str, &str)]) -> Vec<String> {
    load(vars)
        .unwrap_err()
        .problems
        .iter()
        .map(Problem::to_string)
        .collect()
}

#[test]
fn the_required_variables_alone_give_the_documented_defaults() {
    let config = load(&[]).unwrap();
    assert_eq!(
        config.inventory,
        Inventory::Tagged {
            tag_key: "grkeeper:cluster".into(),
            clusters: None
        }
    );
    assert_eq!(config.table, "grkeeper");
    assert_eq!(config.event_bus, "default");
    assert_eq!(config.connect_timeout, Duration::from_millis(2000));
    assert_eq!(config.query_timeout, Duration::from_millis(5000));
    assert_eq!(config.verify_timeout, Duration::from_secs(120));
    assert_eq!(config.lease, Duration::from_secs(300));
    assert_eq!(config.max_steps, 10);
    assert!(config.endpoint_overrides.as_map().is_empty());
    assert_eq!(config.policy_for("any"), Policy::default());
}

#[test]
fn verify_mode_loads_the_bundled_rds_ca_bundle() {
    let config = load(&[("GRKEEPER_TLS", "verify")]).unwrap();
    let Tls::Verify(bundle) = &config.tls else {
        panic!("expected TLS verify, got {:?}", config.tls);
    };
    assert_eq!(bundle.source(), &CaSource::Bundled);
    assert_eq!(bundle.certificates(), 115);
}

#[test]
fn each_missing_required_variable_is_named() {
    let error = Config::from_lookup(|_| None).unwrap_err();
    let named: Vec<&str> = error.problems.iter().map(|p| p.variable.as_str()).collect();
    assert_eq!(
        named,
        [
            "GRKEEPER_SECRET_ARN",
            "GRKEEPER_TABLE",
            "GRKEEPER_TOPIC_ARN"
        ]
    );
    assert!(
        error
            .to_string()
            .contains("GRKEEPER_TABLE: required, but not set")
    );
}

#[test]
fn an_empty_value_counts_as_unset() {
    let config = load(&[
        ("GRKEEPER_CONNECT_TIMEOUT_MS", " "),
        ("GRKEEPER_INSTANCES", ""),
    ])
    .unwrap();
    assert_eq!(config.connect_timeout, Duration::from_millis(2000));
    assert!(matches!(config.inventory, Inventory::Tagged { .. }));
    let error = load(&[("GRKEEPER_TABLE", "")]).unwrap_err();
    assert_eq!(error.problems[0].variable, "GRKEEPER_TABLE");
}

#[test]
fn a_bad_timeout_names_the_variable_and_the_value() {
    assert_eq!(
        problems(&[("GRKEEPER_CONNECT_TIMEOUT_MS", "2s")]),
        [
            r#"GRKEEPER_CONNECT_TIMEOUT_MS: expected milliseconds as a whole number above 0, got "2s""#
        ]
    );
    assert_eq!(
        problems(&[("GRKEEPER_VERIFY_TIMEOUT_SECS", "0")]),
        [r#"GRKEEPER_VERIFY_TIMEOUT_SECS: expected seconds as a whole number above 0, got "0""#]
    );
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let found = problems(&[
        ("GRKEEPER_QUERY_TIMEOUT_MS", "fast"),
        ("GRKEEPER_MODE", "yolo"),
        ("GRKEEPER_TLS", "maybe"),
        ("GRKEEPER_MAX_STEPS", "0"),
    ]);
    let names: Vec<&str> = found.iter().map(|p| p.split(':').next().unwrap()).collect();
    assert_eq!(
        names,
        [
            "GRKEEPER_QUERY_TIMEOUT_MS",
            "GRKEEPER_TLS",
            "GRKEEPER_MAX_STEPS",
            "GRKEEPER_MODE"
        ]
    );
}

#[test]
fn the_lease_must_outlast_the_verification() {
    assert_eq!(
        problems(&[("GRKEEPER_LEASE_SECS", "60")]),
        ["GRKEEPER_LEASE_SECS: must exceed GRKEEPER_VERIFY_TIMEOUT_SECS (120), got 60"]
    );
}

#[test]
fn an_explicit_inventory_keeps_the_listed_order() {
    let config = load(&[("GRKEEPER_INSTANCES", "orders=db3,db1,db2; billing = b1 ,b2")]).unwrap();
    assert_eq!(
        config.inventory,
        Inventory::Listed(BTreeMap::from([
            ("billing".into(), vec!["b1".into(), "b2".into()]),
            (
                "orders".into(),
                vec!["db3".into(), "db1".into(), "db2".into()]
            ),
        ]))
    );
}

#[test]
fn a_malformed_explicit_inventory_says_what_is_wrong() {
    for (value, why) in [
        ("orders", "has no '='"),
        ("orders=db1;billing=db1", "listed twice"),
        ("orders=db1;orders=db2", "listed twice"),
        ("orders=", "lists no instance"),
        (
            "orders=db1;x=d'b",
            r#"invalid instance identifier "d'b" in entry "x=d'b""#,
        ),
        ("orders=db1-", "must not end with a hyphen"),
        ("orders=1db", "must start with a letter"),
        ("orders=db1;Orders=DB1", r#"instance "db1" is listed twice"#),
        ("or ders=db1", r#"invalid cluster name "or ders""#),
    ] {
        let found = problems(&[("GRKEEPER_INSTANCES", value)]);
        assert_eq!(found.len(), 1, "{value}: {found:?}");
        assert!(
            found[0].starts_with("GRKEEPER_INSTANCES: expected cluster=id"),
            "{found:?}"
        );
        assert!(found[0].contains(why), "{value}: {found:?}");
    }
}

#[test]
fn configured_instance_ids_are_lowered_as_rds_and_its_events_spell_them() {
    let config = load(&[
        ("GRKEEPER_INSTANCES", "Orders=Orders-1,ORDERS-2"),
        ("GRKEEPER_ENDPOINT_OVERRIDES", "Orders-1=127.0.0.1:33061"),
    ])
    .unwrap();
    // Cluster names are grkeeper's own (tag values): their case is kept.
    assert_eq!(
        config.inventory,
        Inventory::Listed(BTreeMap::from([(
            "Orders".into(),
            vec!["orders-1".into(), "orders-2".into()]
        )]))
    );
    assert_eq!(
        config.endpoint_overrides.as_map(),
        &BTreeMap::from([("orders-1".into(), Endpoint::new("127.0.0.1", 33061))])
    );
    // The id an event for that instance carries is the one configured.
    let event = crate::trigger::InstanceId::parse("orders-1", "detail.SourceIdentifier").unwrap();
    let Inventory::Listed(clusters) = &config.inventory else {
        unreachable!("listed above");
    };
    assert!(clusters["Orders"].iter().any(|id| id == event.as_str()));
}

#[test]
fn cluster_names_and_override_ids_follow_the_same_rules_as_events() {
    assert_eq!(
        problems(&[("GRKEEPER_CLUSTERS", "orders, bil ling")]),
        [
            r#"GRKEEPER_CLUSTERS: invalid cluster name "bil ling" in the list: character ' ' is not allowed"#
        ]
    );
    assert_eq!(
        problems(&[("GRKEEPER_ENDPOINT_OVERRIDES", "db--1=127.0.0.1:33061")]),
        [
            r#"GRKEEPER_ENDPOINT_OVERRIDES: invalid instance identifier "db--1" in entry "db--1=127.0.0.1:33061": must not contain two consecutive hyphens"#
        ]
    );
}

#[test]
fn a_cluster_filter_selects_tagged_clusters_and_conflicts_with_a_list() {
    let config = load(&[
        ("GRKEEPER_CLUSTERS", "orders, billing"),
        ("GRKEEPER_CLUSTER_TAG", "team:gr"),
    ])
    .unwrap();
    assert_eq!(
        config.inventory,
        Inventory::Tagged {
            tag_key: "team:gr".into(),
            clusters: Some(["billing".to_owned(), "orders".to_owned()].into())
        }
    );
    let found = problems(&[
        ("GRKEEPER_CLUSTERS", "orders"),
        ("GRKEEPER_INSTANCES", "orders=db1"),
    ]);
    assert_eq!(found.len(), 1);
    assert!(found[0].starts_with("GRKEEPER_CLUSTERS: only applies to the tag inventory"));
}

#[test]
fn endpoint_overrides_map_instances_to_local_addresses() {
    let config = load(&[(
        "GRKEEPER_ENDPOINT_OVERRIDES",
        "db1=127.0.0.1:33061, db2=localhost:33062",
    )])
    .unwrap();
    assert_eq!(
        config.endpoint_overrides.as_map(),
        &BTreeMap::from([
            ("db1".into(), Endpoint::new("127.0.0.1", 33061)),
            ("db2".into(), Endpoint::new("localhost", 33062)),
        ])
    );
    assert_eq!(
        problems(&[("GRKEEPER_ENDPOINT_OVERRIDES", "db1=127.0.0.1")]),
        [r#"GRKEEPER_ENDPOINT_OVERRIDES: expected instance=host:port,... , got "db1=127.0.0.1""#]
    );
}

#[test]
fn policy_variables_set_the_default_policy() {
    let config = load(&[
        ("GRKEEPER_MODE", "observe"),
        ("GRKEEPER_REJOIN", "off"),
        ("GRKEEPER_EXPEL", "on"),
        ("GRKEEPER_BOOTSTRAP", "approval"),
        ("GRKEEPER_FAULT_TOLERANCE_FLOOR", "1"),
        ("GRKEEPER_CLUSTER_BUDGET", "5/600"),
        ("GRKEEPER_REBOOT_BUDGET", "1/86400"),
        ("GRKEEPER_FLAP_LIMIT", "4/7200"),
        ("GRKEEPER_EXIT_STATE_ACTION", "read_only"),
        ("GRKEEPER_MIN_BINLOG_RETENTION_HOURS", "72"),
        ("GRKEEPER_CLOCK_SKEW_SECS", "120"),
    ])
    .unwrap();
    let policy = config.policy_for("orders");
    assert_eq!(policy.mode, Mode::Observe);
    assert!(!policy.rejoin && policy.reboot && policy.expel);
    assert_eq!(policy.bootstrap, BootstrapPolicy::Approval);
    assert_eq!(policy.fault_tolerance_floor, 1);
    assert_eq!((policy.cluster_budget, policy.budget_window_secs), (5, 600));
    assert_eq!(
        (policy.reboot_budget, policy.reboot_window_secs),
        (1, 86400)
    );
    assert_eq!((policy.flap_limit, policy.flap_window_secs), (4, 7200));
    assert_eq!(policy.exit_state_action.as_deref(), Some("READ_ONLY"));
    assert_eq!(policy.min_binlog_retention_hours, 72);
    assert_eq!(policy.clock_skew_secs, 120);
}

#[test]
fn bad_policy_values_name_their_variable() {
    assert_eq!(
        problems(&[("GRKEEPER_CLUSTER_BUDGET", "3")]),
        [
            r#"GRKEEPER_CLUSTER_BUDGET: expected N/SECONDS (at most N per window of SECONDS, e.g. 3/3600), got "3""#
        ]
    );
    assert_eq!(
        problems(&[("GRKEEPER_EXPEL", "yes")]),
        [r#"GRKEEPER_EXPEL: expected on or off, got "yes""#]
    );
    assert_eq!(
        problems(&[("GRKEEPER_EXIT_STATE_ACTION", "OFFLINE")]),
        [
            r#"GRKEEPER_EXIT_STATE_ACTION: expected OFFLINE_MODE, READ_ONLY or ABORT_SERVER, got "OFFLINE""#
        ]
    );
}

#[test]
fn a_cluster_override_changes_only_its_keys_on_top_of_the_variables() {
    let config = load(&[
        ("GRKEEPER_INSTANCES", "orders=db1,db2,db3;billing=b1,b2,b3"),
        ("GRKEEPER_MEMBER_COOLDOWN_SECS", "60"),
        (
            "GRKEEPER_POLICY",
            r#"{"orders": {"expel": true, "fault_tolerance_floor": 1}}"#,
        ),
    ])
    .unwrap();
    let orders = config.policy_for("orders");
    assert!(orders.expel);
    assert_eq!(orders.fault_tolerance_floor, 1);
    assert_eq!(
        orders.member_cooldown_secs, 60,
        "the variable still applies"
    );
    let billing = config.policy_for("billing");
    assert!(!billing.expel);
    assert_eq!(billing.member_cooldown_secs, 60);
}

#[test]
fn a_bad_cluster_override_names_the_variable_and_the_cluster() {
    let found = problems(&[
        ("GRKEEPER_INSTANCES", "orders=db1"),
        ("GRKEEPER_POLICY", r#"{"orders": {"expell": true}}"#),
    ]);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with(r#"GRKEEPER_POLICY: cluster "orders": unknown field `expell`"#),
        "{found:?}"
    );

    let found = problems(&[
        ("GRKEEPER_INSTANCES", "orders=db1"),
        ("GRKEEPER_POLICY", r#"{"order": {"expel": true}}"#),
    ]);
    assert_eq!(
        found,
        [r#"GRKEEPER_POLICY: cluster "order" is not in the inventory"#]
    );

    let found = problems(&[(
        "GRKEEPER_POLICY",
        r#"{"orders": {"exit_state_action": "NAP"}}"#,
    )]);
    assert!(
        found[0].contains("exit_state_action: expected one of"),
        "{found:?}"
    );

    let found = problems(&[("GRKEEPER_POLICY", "[1]")]);
    assert!(found[0].starts_with("GRKEEPER_POLICY: expected a JSON object keyed by cluster name"));
}

#[test]
fn tls_can_be_disabled_but_not_with_a_ca_file() {
    let config = load(&[("GRKEEPER_TLS", "disabled")]).unwrap();
    assert!(matches!(config.tls, Tls::Disabled));
    assert_eq!(
        problems(&[
            ("GRKEEPER_TLS", "disabled"),
            ("GRKEEPER_TLS_CA_FILE", "/ca.pem")
        ]),
        ["GRKEEPER_TLS_CA_FILE: set, but GRKEEPER_TLS is disabled"]
    );
}

/// A file in the temp directory, removed on drop.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, contents: &[u8]) -> TempFile {
        let path = std::env::temp_dir().join(format!("grkeeper-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn a_ca_file_replaces_the_bundled_certificates() {
    let file = TempFile::new("ca-ok.pem", first_bundled_cert().as_bytes());
    let config = load(&[("GRKEEPER_TLS_CA_FILE", file.path())]).unwrap();
    let Tls::Verify(bundle) = &config.tls else {
        panic!("expected TLS verify");
    };
    assert_eq!(bundle.source(), &CaSource::File(file.0.clone()));
    assert_eq!(bundle.certificates(), 1);
}

#[test]
fn the_member_connections_verify_with_ring_the_one_crypto_provider_compiled_in() {
    // What mysql_async does on every TLS connect: `ClientConfig::builder()` takes the provider
    // rustls's crate features choose, and panics when none or two are compiled in (Cargo.toml:
    // ring only, shared with the AWS SDK's HTTPS client).
    let bundle = CaBundle::bundled().unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(bundle.pem()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let ring = rustls::crypto::ring::default_provider();
    assert_eq!(
        format!("{:?}", config.crypto_provider().cipher_suites),
        format!("{:?}", ring.cipher_suites)
    );
}

#[test]
fn an_unreadable_or_empty_ca_file_stops_start_up_with_its_name() {
    let found = problems(&[("GRKEEPER_TLS_CA_FILE", "/nonexistent/ca.pem")]);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with("GRKEEPER_TLS_CA_FILE: /nonexistent/ca.pem: cannot read it"),
        "{found:?}"
    );
    let file = TempFile::new("ca-empty.pem", b"not a certificate\n");
    let found = problems(&[("GRKEEPER_TLS_CA_FILE", file.path())]);
    assert_eq!(
        found,
        [format!(
            "GRKEEPER_TLS_CA_FILE: {}: no PEM certificate in it",
            file.path()
        )]
    );
}

/// The first certificate of the bundled RDS CA bundle.
fn first_bundled_cert() -> String {
    let bundle = include_str!("../../certs/rds-global-bundle.pem");
    let end = "-----END CERTIFICATE-----\n";
    let cut = bundle.find(end).unwrap() + end.len();
    bundle[..cut].to_owned()
}

#[test]
fn tls_off_and_endpoint_overrides_are_named_as_local_only_unless_the_run_is_local() {
    let local = [
        ("GRKEEPER_TLS", "disabled"),
        ("GRKEEPER_ENDPOINT_OVERRIDES", "db1=127.0.0.1:33061"),
    ];
    let refused = load(&local)
        .unwrap()
        .local_only_settings()
        .unwrap_or_default();
    assert!(
        refused.starts_with(
            "GRKEEPER_TLS=disabled and GRKEEPER_ENDPOINT_OVERRIDES in a Lambda function"
        ),
        "{refused}"
    );
    let mut allowed = local.to_vec();
    allowed.push(("GRKEEPER_LOCAL_RUN", "on"));
    assert_eq!(load(&allowed).unwrap().local_only_settings(), None);
    assert_eq!(
        load(&[("GRKEEPER_TLS", "verify")])
            .unwrap()
            .local_only_settings(),
        None
    );
}

#[test]
fn the_deployment_is_named_by_tag_value_rules_and_defaults_to_grkeeper() {
    assert_eq!(load(&[]).unwrap().deployment, "grkeeper");
    assert_eq!(
        load(&[("GRKEEPER_DEPLOYMENT", "grkeeper-prod")])
            .unwrap()
            .deployment,
        "grkeeper-prod"
    );
    assert_eq!(problems(&[("GRKEEPER_DEPLOYMENT", "prod stack")]).len(), 1);
    assert_eq!(
        load(&[("GRKEEPER_EVENT_INSTANCE_IDS", "Orders-1, orders-2")])
            .unwrap()
            .event_instance_ids,
        Some(vec!["orders-1".to_owned(), "orders-2".to_owned()])
    );
}

#[test]
fn alerts_name_the_deployment_its_topics_account_and_region_and_its_log_group() {
    let config = load(&[
        ("GRKEEPER_DEPLOYMENT", "grkeeper-prod"),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            "/aws/lambda/grkeeper-prod-sweep",
        ),
    ])
    .unwrap();
    let location = config.location();
    assert_eq!(location.name.as_deref(), Some("grkeeper-prod"));
    assert_eq!(location.account.as_deref(), Some("123456789012"));
    assert_eq!(location.region.as_deref(), Some("us-east-1"));
    assert_eq!(
        location.log_group.as_deref(),
        Some("/aws/lambda/grkeeper-prod-sweep")
    );
    // One name: the deployment's, whatever it is set to.
    let renamed = Config {
        deployment: "grkeeper-test".into(),
        ..config
    };
    assert_eq!(renamed.location().name.as_deref(), Some("grkeeper-test"));
}
