//! The DNS names end to end (`docs/endpoints.md`): faults injected into the simulated cluster,
//! the sweep function's handler ticking against it, the records read back from moto's Route 53
//! (through the SDK, not grkeeper's adapter), the change batches from the DynamoDB journal.
//! Rejoin and reboot are off, so a member stays out until the test brings it back.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_route53::types::RrType;
use gr_sim::{Fault, Timing};
use grkeeper::lambda::Deps;
use grkeeper::lambda::Function;
use grkeeper_e2e::harness::{Harness, event};
use grkeeper_e2e::invoke::{cold_start, invoke};
use serde_json::Value;

const MEMBERS_NAME: &str = "orders-members.db.internal.";
const ACTIVE_NAME: &str = "orders-active.db.internal.";

/// What the two names resolve to: the members name's set identifiers, the active name's
/// instance (read back from its endpoint address).
#[derive(Debug, PartialEq, Eq)]
struct Names {
    members: BTreeSet<String>,
    active: Option<String>,
}

struct Setup {
    h: Harness,
    deps: Deps,
    zone: String,
}

/// The harness, a hosted zone in moto, and the sweep function configured to keep both names.
async fn setup(change: impl FnOnce(gr_sim::SimConfig) -> gr_sim::SimConfig) -> Setup {
    let h = Harness::start_with(change).await.unwrap();
    let zone = aws_sdk_route53::Client::new(h.aws())
        .create_hosted_zone()
        .name("db.internal")
        .caller_reference("grkeeper-e2e")
        .send()
        .await
        .unwrap()
        .hosted_zone()
        .unwrap()
        .id()
        .trim_start_matches("/hostedzone/")
        .to_owned();
    let mut env = h.env();
    for (name, value) in [
        ("GRKEEPER_DNS_ZONE_ID", zone.as_str()),
        ("GRKEEPER_DNS_MEMBERS_NAME", "{cluster}-members.db.internal"),
        ("GRKEEPER_DNS_ACTIVE_NAME", "{cluster}-active.db.internal"),
        ("GRKEEPER_DNS_MAX_QUEUE", "100"),
        ("GRKEEPER_DNS_HOLD_DOWN_SECS", "0"),
        ("GRKEEPER_REJOIN", "off"),
        ("GRKEEPER_REBOOT", "off"),
    ] {
        env.insert(name.into(), value.into());
    }
    let deps = cold_start(Function::Sweep, &env, &h.bridged_aws().await)
        .await
        .unwrap();
    Setup { h, deps, zone }
}

impl Setup {
    async fn tick(&self) -> Value {
        invoke(&self.deps, event("schedule.json").unwrap())
            .await
            .unwrap()
    }

    async fn names(&self) -> Names {
        let listed = aws_sdk_route53::Client::new(self.h.aws())
            .list_resource_record_sets()
            .hosted_zone_id(&self.zone)
            .send()
            .await
            .unwrap();
        let mut names = Names {
            members: BTreeSet::new(),
            active: None,
        };
        for set in listed.resource_record_sets() {
            if set.r#type() != &RrType::Cname {
                continue;
            }
            let value = set.resource_records()[0].value();
            match set.name() {
                MEMBERS_NAME => {
                    names
                        .members
                        .insert(set.set_identifier().unwrap().to_owned());
                }
                ACTIVE_NAME => {
                    assert!(names.active.is_none(), "two active records: {listed:#?}");
                    // moto's endpoint addresses start with the instance id.
                    names.active = value.split('.').next().map(str::to_owned);
                }
                other => panic!("a record grkeeper does not keep: {other}"),
            }
        }
        names
    }

    /// The journaled DNS batches, one line each: `outcome: change; change`.
    async fn batches(&self) -> Vec<String> {
        self.h
            .journal()
            .await
            .unwrap()
            .iter()
            .filter(|item| item["sk"].as_str().is_some_and(|sk| sk.starts_with("dns#")))
            .map(|item| {
                format!(
                    "{}: {}",
                    item["outcome"].as_str().unwrap_or("?"),
                    item["reason"].as_str().unwrap_or("?")
                )
            })
            .collect()
    }

    async fn wait(&self, what: &'static str, done: impl Fn(&gr_sim::Truth) -> bool) {
        self.h.wait_until(what, done).await.unwrap();
    }
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

fn online_with(truth: &gr_sim::Truth, members: &[&str]) -> bool {
    truth.majority_groups().len() == 1 && truth.majority_groups()[0].online == members
}

#[tokio::test]
async fn members_leave_the_members_name_and_come_back_once_online_and_caught_up() {
    let s = setup(|c| c).await;
    s.tick().await;
    let all = set(&["orders-1", "orders-2", "orders-3"]);
    assert_eq!(s.names().await.members, all);

    // Crashed (as a reboot or a failed instance looks to its peers): out, then back.
    s.h.sim.crash("orders-2").unwrap();
    s.wait("orders-2 expelled", |t| {
        online_with(t, &["orders-1", "orders-3"])
    })
    .await;
    s.tick().await;
    assert_eq!(s.names().await.members, set(&["orders-1", "orders-3"]));
    s.h.sim.restart("orders-2").unwrap();
    s.wait("orders-2 back", |t| {
        online_with(t, &["orders-1", "orders-2", "orders-3"])
    })
    .await;
    s.tick().await;
    assert_eq!(s.names().await.members, all);

    // Expelled (Group Replication stopped on it): out until it is ONLINE again.
    s.h.stop_group_replication("orders-3").await.unwrap();
    s.tick().await;
    assert_eq!(s.names().await.members, set(&["orders-1", "orders-2"]));
    s.h.sim.restart("orders-3").unwrap();
    s.wait("orders-3 back", |t| {
        online_with(t, &["orders-1", "orders-2", "orders-3"])
    })
    .await;
    s.tick().await;
    assert_eq!(s.names().await.members, all);

    // Lagging past the limit: out while ONLINE; back once caught up.
    let lag = |transactions| Fault::ApplierBacklog {
        member: "orders-1".into(),
        transactions,
    };
    s.h.sim.inject(lag(500)).unwrap();
    s.tick().await;
    assert_eq!(s.names().await.members, set(&["orders-2", "orders-3"]));
    s.h.sim.inject(lag(0)).unwrap();
    s.tick().await;
    assert_eq!(s.names().await.members, all);

    // In offline mode (its exit action ran): out.
    s.h.leave_into_offline_mode("orders-1").await.unwrap();
    s.tick().await;
    assert_eq!(s.names().await.members, set(&["orders-2", "orders-3"]));

    // Each transition was one journaled batch, each applied; ticks between changed nothing.
    let before = s.batches().await;
    assert_eq!(before.len(), 8, "{before:#?}");
    assert!(
        before.iter().all(|b| b.starts_with("succeeded: ")),
        "{before:#?}"
    );
    s.tick().await;
    s.tick().await;
    assert_eq!(s.batches().await, before);
}

#[tokio::test]
async fn a_rebooting_or_read_only_member_leaves_the_members_name() {
    // A reboot slow enough for a tick to see it.
    let s = setup(|c| {
        c.real_time(Timing {
            reboot: Duration::from_secs(3),
            ..Timing::fast()
        })
    })
    .await;
    s.tick().await;
    aws_sdk_rds::Client::new(&s.h.bridged_aws().await)
        .reboot_db_instance()
        .db_instance_identifier("orders-3")
        .send()
        .await
        .unwrap();
    s.tick().await;
    assert_eq!(s.names().await.members, set(&["orders-1", "orders-2"]));

    // A minor version upgrade: newer than the group's lowest version, it rejoins read-only.
    s.wait("orders-3 back after its reboot", |t| {
        online_with(t, &["orders-1", "orders-2", "orders-3"])
    })
    .await;
    s.tick().await;
    assert_eq!(
        s.names().await.members,
        set(&["orders-1", "orders-2", "orders-3"])
    );
    s.h.sim
        .inject(Fault::Upgrade {
            member: "orders-2".into(),
            version: "8.0.40".parse().unwrap(),
        })
        .unwrap();
    s.wait("orders-2 ONLINE and read-only after its upgrade", |t| {
        online_with(t, &["orders-1", "orders-2", "orders-3"])
            && t.member("orders-2").is_some_and(|m| m.super_read_only)
    })
    .await;
    s.tick().await;
    assert_eq!(s.names().await.members, set(&["orders-1", "orders-3"]));
}

#[tokio::test]
async fn the_active_name_moves_once_on_its_members_loss_and_not_back() {
    let s = setup(|c| c).await;
    s.tick().await;
    assert_eq!(s.names().await.active.as_deref(), Some("orders-1"));
    s.h.sim.crash("orders-1").unwrap();
    s.wait("orders-1 expelled", |t| {
        online_with(t, &["orders-2", "orders-3"])
    })
    .await;
    s.tick().await;
    assert_eq!(s.names().await.active.as_deref(), Some("orders-2"));
    s.h.sim.restart("orders-1").unwrap();
    s.wait("orders-1 back", |t| {
        online_with(t, &["orders-1", "orders-2", "orders-3"])
    })
    .await;
    s.tick().await;
    s.tick().await;
    assert_eq!(s.names().await.active.as_deref(), Some("orders-2"));
    let moves: Vec<String> = s
        .batches()
        .await
        .into_iter()
        .filter(|b| b.contains(ACTIVE_NAME))
        .collect();
    assert_eq!(moves.len(), 2, "created, then moved once: {moves:#?}");
}

/// The names as they are, and no batch journaled since `batches`; a critical incident names the
/// freeze.
async fn assert_frozen(s: &Setup, before: &Names, batches: &[String]) {
    let summary = s.tick().await;
    assert_eq!(&s.names().await, before);
    assert_eq!(s.batches().await, batches);
    let findings = &summary["clusters"][0]["plan"]["findings"];
    assert!(
        findings
            .as_array()
            .unwrap()
            .iter()
            .any(|f| { f["kind"] == "endpoints_frozen" && f["severity"] == "critical" }),
        "{summary:#}"
    );
}

#[tokio::test]
async fn lost_quorum_and_split_brain_freeze_both_names() {
    let s = setup(|c| c).await;
    s.tick().await;
    let before = s.names().await;
    let batches = s.batches().await;

    // Split brain: orders-3, cut off, bootstrapped into a group of its own.
    s.h.sim.partition(&[&["orders-3"]]).unwrap();
    s.wait("orders-3 in a minority", |t| {
        online_with(t, &["orders-1", "orders-2"])
    })
    .await;
    s.h.bootstrap_by_hand("orders-3").await.unwrap();
    s.wait("two groups", |t| t.split_brain()).await;
    assert_frozen(&s, &before, &batches).await;

    // Lost quorum: orders-2 crashes, orders-1 alone holds no majority.
    s.h.sim.crash("orders-3").unwrap();
    s.h.sim.crash("orders-2").unwrap();
    s.wait("orders-1 without a majority", |t| {
        t.majority_groups().is_empty()
    })
    .await;
    assert_frozen(&s, &before, &batches).await;
}
