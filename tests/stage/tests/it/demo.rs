//! The demo, the README's first command: it must run to the end on every CI run, repair each
//! failure the way its act announces, and end healthy by the simulator's ground truth.

use std::time::Duration;

use grkeeper_demo::bounded;

/// The demo takes a few seconds; this leaves room for a loaded 2-core machine.
const BOUND: Duration = Duration::from_secs(120);

#[test]
fn the_demo_repairs_each_failure_and_ends_with_a_healthy_cluster_by_the_ground_truth() {
    let run = bounded::run(env!("CARGO_BIN_EXE_demo"), &[], &[], BOUND);
    assert_eq!(run.code(), Some(0), "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let out = &run.stdout;
    let order = [
        "Cluster orders: OK (3 of 3 members ONLINE)",
        "Act 1: a member stops Group Replication",
        "rejoin orders-2 → VERIFIED",
        "RESOLVED orders/orders-2: member offline",
        // A stop made by a person (mysql.rds_history) is respected, not undone.
        "refused rejoin orders-3 (guard operator_stop)",
        "orders-3 is ONLINE again.",
        "Act 2: a member is expelled into offline mode",
        "ERROR 3032",
        "reboot orders-3 → VERIFIED",
        "RESOLVED orders/orders-3: offline mode",
        "Act 3: a complete outage",
        "CRITICAL orders: complete outage",
        "PAGES",
        // orders-1 was down while 25 transactions were written: the superset is orders-2.
        "bootstrap orders-2 → VERIFIED",
        "RESOLVED orders: complete outage",
        "healthy — the simulator's ground truth: every member ONLINE in one group with quorum \
         (orders-1, orders-2, orders-3), no split brain",
    ];
    // Narration wraps wherever the terminal width falls: compare with whitespace collapsed.
    let text = collapse(out);
    let mut from = 0;
    for expected in order.map(collapse) {
        let Some(at) = text[from..].find(&expected) else {
            panic!("{expected:?} missing, or out of order, in:\n{out}");
        };
        from += at + expected.len();
    }
    assert!(
        !out.contains("→ FAILED") && !out.contains("→ UNVERIFIED"),
        "{out}"
    );
    // One incident per act; the outage and its repair page once, in at most three messages.
    for act in ["Act 1", "Act 2", "Act 3, the outage and its repair"] {
        let (alerts, incidents, pages) = tally(&text, act);
        assert_eq!(incidents, 1, "{act}: {out}");
        if act.starts_with("Act 3") {
            assert!(alerts <= 3, "{act}: {alerts} alerts: {out}");
            assert_eq!(pages, 1, "{act}: {out}");
        } else {
            assert_eq!(
                pages, 0,
                "{act}: a member repaired at once pages nobody: {out}"
            );
        }
    }
}

/// The numbers of `<act>: N alert(s) about M incident(s), P of them paging.`
fn tally(text: &str, act: &str) -> (usize, usize, usize) {
    // The tally is the act's last line that starts with its name (the heading is the first).
    let line = text
        .rsplit(&format!("{act}: "))
        .next()
        .unwrap_or_else(|| panic!("no tally for {act}"));
    let numbers: Vec<usize> = line
        .split(" of them paging")
        .next()
        .unwrap_or_default()
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    match numbers[..] {
        [alerts, incidents, pages] => (alerts, incidents, pages),
        _ => panic!("unreadable tally for {act}: {line}"),
    }
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
