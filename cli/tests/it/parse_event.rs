//! `grkeeper parse-event` over every sample in `events/` (exit 0, the kind its name announces)
//! and every one in `events/invalid/` (exit 2, one line on stderr).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn grkeeper() -> Command {
    Command::new(env!("CARGO_BIN_EXE_grkeeper"))
}

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// The `.json` files directly in `dir`, sorted.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no samples in {}", dir.display());
    files
}

fn parse_event(path: &Path) -> Output {
    grkeeper().arg("parse-event").arg(path).output().unwrap()
}

/// The kind a sample's file name announces (the naming convention of `docs/events.md`).
fn announced_kind(file_name: &str) -> &'static str {
    [
        ("rds-instance-", "rds_instance_event"),
        ("rds-cluster-", "rds_cluster_event"),
        ("rds-parameter-group-", "parameter_group_event"),
        ("schedule", "schedule"),
        ("manual-", "manual"),
    ]
    .into_iter()
    .find(|(prefix, _)| file_name.starts_with(prefix))
    .map(|(_, kind)| kind)
    .unwrap_or_else(|| panic!("{file_name}: name the sample after its kind (docs/events.md)"))
}

#[test]
fn every_sample_event_parses_to_the_kind_its_name_announces() {
    let mut kinds = BTreeSet::new();
    for path in json_files(&events_dir()) {
        let output = parse_event(&path);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}: {stderr}",
            path.display()
        );
        let trigger: Value = serde_json::from_slice(&output.stdout).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        let kind = announced_kind(name);
        assert_eq!(trigger["kind"], kind, "{name}");
        if kind == "rds_instance_event" {
            let instance = trigger["instance"].as_str().unwrap();
            assert!(instance.starts_with("orders-"), "{name}: {instance}");
        }
        if kind.ends_with("_event") {
            assert!(trigger.get("event_id").is_some(), "{name}: no event_id");
        }
        kinds.insert(kind);
    }
    assert_eq!(kinds.len(), 5, "a sample of every kind: {kinds:?}");
}

#[test]
fn every_invalid_sample_fails_with_exit_2_and_one_line_naming_the_file() {
    for path in json_files(&events_dir().join("invalid")) {
        let output = parse_event(&path);
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}: {stderr}",
            path.display()
        );
        assert!(
            output.stdout.is_empty(),
            "{}: printed a trigger",
            path.display()
        );
        let prefix = format!("grkeeper: {}: ", path.display());
        let line = stderr.strip_suffix('\n').unwrap_or_default();
        assert!(
            !line.is_empty() && !line.contains('\n'),
            "not one line: {stderr:?}"
        );
        assert!(
            line.len() > prefix.len() && line.starts_with(&prefix),
            "{line}"
        );
    }
}

#[test]
fn a_dash_reads_the_event_from_stdin() {
    let sample = std::fs::read(events_dir().join("rds-instance-restarted.json")).unwrap();
    let mut child = grkeeper()
        .args(["parse-event", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&sample).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let trigger: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(trigger["instance"], "orders-1");
    assert_eq!(trigger["event_id"], "RDS-EVENT-0006");
}

#[test]
fn a_missing_file_is_bad_input() {
    let output = parse_event(Path::new("no/such/event.json"));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("grkeeper: cannot read no/such/event.json"),
        "{stderr}"
    );
}
