//! The commands that work on real clusters, against a configuration whose AWS endpoint is a
//! closed port on 127.0.0.1: each fails at once with exit 1 and one line naming the AWS call
//! that could not be made; none hangs and none prints a result.

use std::net::TcpListener;
use std::time::Duration;

use crate::bounded::grkeeper;

/// The SDK's connect timeouts and retries are bounded in seconds; a refused port fails faster.
const BOUND: Duration = Duration::from_secs(30);

/// A port on 127.0.0.1 that nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn environment(endpoint: &str) -> Vec<(&'static str, String)> {
    [
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        // No profile files, no instance metadata: only what is given here.
        ("AWS_CONFIG_FILE", "/nonexistent/grkeeper-test".into()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/grkeeper-test".into(),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        (
            "GRKEEPER_INSTANCES",
            "orders=orders-1,orders-2,orders-3".into(),
        ),
        ("GRKEEPER_SECRET_ARN", "grkeeper/members".into()),
        ("GRKEEPER_TABLE", "grkeeper".into()),
        (
            "GRKEEPER_TOPIC_ARN",
            "arn:aws:sns:us-east-1:123456789012:grkeeper-alerts".into(),
        ),
    ]
    .into()
}

fn run_unreachable(args: &[&str]) -> crate::bounded::Finished {
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let env = environment(&endpoint);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    grkeeper(args, &env, BOUND)
}

#[test]
fn status_and_tick_dry_run_fail_with_one_line_when_aws_is_unreachable() {
    for args in [
        &["status"][..],
        &["tick", "--dry-run"],
        &["tick", "--cluster", "orders"],
    ] {
        let run = run_unreachable(args);
        assert_eq!(run.code(), Some(1), "{args:?}: {run:?}");
        let line = run.one_line_of_stderr();
        assert!(
            line.starts_with(
                "grkeeper: database credentials: SecretsManager.GetSecretValue: \
                              endpoint unreachable"
            ),
            "{args:?}: {line}"
        );
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
        assert!(
            run.took < Duration::from_secs(20),
            "{args:?} took {:?}",
            run.took
        );
    }
}

#[test]
fn pause_resume_and_approve_fail_with_one_line_when_the_journal_is_unreachable() {
    for args in [
        &[
            "pause",
            "--cluster",
            "orders",
            "--for",
            "30m",
            "--reason",
            "upgrade",
        ][..],
        &["resume", "--cluster", "orders", "--instance", "orders-2"],
        &[
            "approve",
            "bootstrap",
            "--cluster",
            "orders",
            "--instance",
            "orders-2",
        ],
    ] {
        let run = run_unreachable(args);
        assert_eq!(run.code(), Some(1), "{args:?}: {run:?}");
        let line = run.one_line_of_stderr();
        assert!(
            line.starts_with("grkeeper: journal unavailable: DynamoDB."),
            "{args:?}: {line}"
        );
        assert!(line.contains("endpoint unreachable"), "{args:?}: {line}");
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
    }
}
