//! `pause`, `resume` and `approve` refuse bad input before touching anything: exit 2 and one
//! line saying what is wrong (no environment is set, so reaching AWS would fail differently).

use std::time::Duration;

use crate::bounded::grkeeper;

const BOUND: Duration = Duration::from_secs(20);

#[test]
fn a_pause_with_a_bad_duration_exits_2_with_one_line_saying_what_is_expected() {
    for duration in ["2 hours", "0m", "45d", "m30"] {
        let run = grkeeper(
            &[
                "pause",
                "--cluster",
                "orders",
                "--for",
                duration,
                "--reason",
                "upgrade",
            ],
            &[],
            BOUND,
        );
        assert_eq!(run.code(), Some(2), "{duration}: {run:?}");
        let line = run.one_line_of_stderr();
        assert!(
            line.starts_with(&format!("grkeeper: --for {duration:?}: ")),
            "{line}"
        );
        assert!(line.contains("such as 30m, 2h, 1h30m or 1d"), "{line}");
        assert!(run.stdout.is_empty(), "{run:?}");
    }
}

#[test]
fn an_approval_with_a_bad_duration_or_name_exits_2_with_one_line() {
    let bad_duration = grkeeper(
        &[
            "approve",
            "bootstrap",
            "--cluster",
            "orders",
            "--for",
            "soon",
        ],
        &[],
        BOUND,
    );
    assert_eq!(bad_duration.code(), Some(2), "{bad_duration:?}");
    assert!(bad_duration.one_line_of_stderr().contains("--for \"soon\""));

    let bad_give_up = grkeeper(
        &[
            "approve",
            "bootstrap",
            "--cluster",
            "orders",
            "--give-up",
            "orders--3",
        ],
        &[],
        BOUND,
    );
    assert_eq!(bad_give_up.code(), Some(2), "{bad_give_up:?}");
    assert!(
        bad_give_up
            .one_line_of_stderr()
            .contains("--give-up \"orders--3\"")
    );

    let rejoin_of_any = grkeeper(&["approve", "rejoin", "--cluster", "orders"], &[], BOUND);
    assert_eq!(rejoin_of_any.code(), Some(2), "{rejoin_of_any:?}");
    assert!(
        rejoin_of_any
            .one_line_of_stderr()
            .contains("approve rejoin needs --instance")
    );

    let bad_instance = grkeeper(
        &["resume", "--cluster", "orders", "--instance", "orders--2"],
        &[],
        BOUND,
    );
    assert_eq!(bad_instance.code(), Some(2), "{bad_instance:?}");
    assert!(bad_instance.one_line_of_stderr().contains("orders--2"));
}

#[test]
fn a_valid_pause_without_configuration_names_every_missing_variable_and_exits_2() {
    let run = grkeeper(
        &[
            "pause",
            "--cluster",
            "orders",
            "--for",
            "2h",
            "--reason",
            "upgrade",
        ],
        &[],
        BOUND,
    );
    assert_eq!(run.code(), Some(2), "{run:?}");
    let line = run.one_line_of_stderr();
    for variable in [
        "GRKEEPER_SECRET_ARN",
        "GRKEEPER_TABLE",
        "GRKEEPER_TOPIC_ARN",
    ] {
        assert!(line.contains(variable), "{line}");
    }
}

#[test]
fn an_approval_of_a_sync_without_its_member_or_with_a_bad_set_exits_2_with_one_line() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["approve", "sync-gtids", "--cluster", "orders"],
            "needs --instance",
        ),
        (
            &[
                "approve",
                "sync-gtids",
                "--cluster",
                "orders",
                "--instance",
                "orders-4",
                "--gtids",
                "not-a-uuid:1-3",
            ],
            "--gtids",
        ),
        (
            &[
                "approve",
                "sync-gtids",
                "--cluster",
                "orders",
                "--instance",
                "orders-4",
                "--give-up",
                "orders-3",
            ],
            "--give-up belongs to approve bootstrap",
        ),
        (
            &[
                "approve",
                "bootstrap",
                "--cluster",
                "orders",
                "--gtids",
                "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-3",
            ],
            "--gtids belongs to approve sync-gtids",
        ),
    ];
    for (args, expected) in cases {
        let run = grkeeper(args, &[], BOUND);
        assert_eq!(run.code(), Some(2), "{args:?}: {run:?}");
        assert!(
            run.one_line_of_stderr().contains(expected),
            "{args:?}: {run:?}"
        );
    }
}

#[test]
fn an_echoed_input_is_escaped_and_clipped_on_its_one_line() {
    // A path is echoed as given (no name rules clip or quote it): the line must still be safe.
    let hostile = format!("/nonexistent/\u{1b}[31m\r{}", "x".repeat(10_000));
    let run = grkeeper(&["parse-event", &hostile], &[], BOUND);
    assert_eq!(run.code(), Some(2), "{run:?}");
    let line = run.one_line_of_stderr();
    assert!(
        !line.chars().any(char::is_control),
        "no raw control character reaches the terminal: {line:?}"
    );
    assert!(
        line.starts_with("grkeeper: cannot read /nonexistent/\\u{1b}[31m\\r"),
        "{line}"
    );
    assert_eq!(
        line.chars().count(),
        "grkeeper: ".len() + 2000 + "...".len()
    );
    assert!(line.ends_with("..."), "{line}");
}

#[test]
fn every_command_that_takes_arguments_shows_examples_in_its_help() {
    for command in [
        "status",
        "tick",
        "doctor",
        "pause",
        "resume",
        "approve",
        "plan",
        "parse-event",
    ] {
        let run = grkeeper(&[command, "--help"], &[], BOUND);
        assert_eq!(run.code(), Some(0), "{command}: {run:?}");
        let examples = run
            .stdout
            .split_once("Examples:\n")
            .map(|(_, rest)| rest)
            .unwrap_or_else(|| panic!("{command} --help has no examples:\n{}", run.stdout));
        assert!(
            examples
                .lines()
                .any(|l| l.trim_start().starts_with("grkeeper ")),
            "{command}: {examples}"
        );
    }
}
