//! The planner is sans-IO (`docs/design.md`): a pure function of its snapshot, so every
//! decision can be replayed. Its sources, and those of the layers below it that it reads (GTID
//! sets, the model, the snapshot with its policy and history), must not reach for the network,
//! the disk, async code or a clock.

#[test]
fn the_planner_does_no_io_and_reads_no_clock() {
    // Sans-IO by construction: these would let the planner reach outside its snapshot.
    let forbidden = [
        "tokio",
        "aws_sdk",
        "mysql_async",
        "SystemTime",
        "Instant::now",
        "Utc::now",
        "std::fs",
        "std::net",
        "async fn",
        ".await",
    ];
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack: Vec<_> = [
        "plan",
        "gtid.rs",
        "model.rs",
        "model",
        "snapshot.rs",
        "snapshot",
    ]
    .iter()
    .map(|name| src.join(name))
    .collect();
    let mut checked = 0;
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("tests.rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for word in forbidden {
                assert!(!text.contains(word), "{} mentions {word}", path.display());
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} planner files found");
}
