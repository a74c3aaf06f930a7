//! Property: a transaction the group certified is never lost while a group can commit. Random
//! histories that open with the class (members rejoining behind a backlog, RECOVERING while a
//! partitioned group commits, members that executed the commit leaving, the heal), then go on
//! with writes, GR stops and starts, crashes, RDS reboots, partitions and time passing; after
//! every step, each group that can commit (a
//! component holding a majority, with an ONLINE member) holds (executed, or certified and
//! queued) every acknowledged commit, and no GTID was issued twice. Chaos seed 4458 found the
//! class: a RECOVERING member certified transactions that only ONLINE members were given, their
//! last holder left, and the group went on without them.

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::RngSeed;

use crate::config::SimConfig;
use crate::faults::Fault;
use crate::gtid::GtidSet;
use crate::model::World;

#[derive(Debug, Clone)]
enum Op {
    /// A client commits on this member (refused or blocked: nothing acknowledged).
    Commit(usize, u64),
    /// STOP GROUP_REPLICATION.
    Stop(usize),
    /// START GROUP_REPLICATION: the member joins and recovers what it lacks.
    Start(usize),
    Crash(usize),
    Restart(usize),
    /// RDS reboots the instance, down this many seconds.
    Reboot(usize, u64),
    /// These members (a bit mask) on one side, the rest on the other.
    Partition(u8),
    Heal,
    /// Simulated milliseconds pass.
    Wait(u64),
}

fn op(size: usize) -> impl Strategy<Value = Op> {
    let member = 0..size;
    prop_oneof![
        4 => (member.clone(), prop_oneof![1..6u64, 300..3000u64]).prop_map(|(m, n)| Op::Commit(m, n)),
        2 => member.clone().prop_map(Op::Stop),
        2 => member.clone().prop_map(Op::Start),
        2 => member.clone().prop_map(Op::Crash),
        2 => member.clone().prop_map(Op::Restart),
        2 => (member, prop_oneof![Just(1u64), Just(30), Just(600)]).prop_map(|(m, s)| Op::Reboot(m, s)),
        2 => any::<u8>().prop_map(Op::Partition),
        2 => Just(Op::Heal),
        4 => prop_oneof![0..2_000u64, 2_000..120_000u64].prop_map(Op::Wait),
    ]
}

/// How a member that executed the commit leaves.
fn leave(m: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Crash(m)),
        Just(Op::Stop(m)),
        prop_oneof![Just(1u64), Just(30), Just(600)].prop_map(move |s| Op::Reboot(m, s)),
    ]
}

/// The class first (members rejoining behind a backlog and RECOVERING, a partition, a commit,
/// members leaving, the heal), drawn at random, then any history.
fn history() -> impl Strategy<Value = (usize, Vec<Op>)> {
    prop_oneof![Just(3usize), Just(5)].prop_flat_map(|size| {
        let members = proptest::collection::vec(any::<bool>(), size);
        (
            Just(size),
            members.clone(),
            (0..size, 100..3000u64, 0..size, 1..6u64),
            any::<u8>(),
            members.prop_flat_map(|leaving| {
                leaving
                    .into_iter()
                    .enumerate()
                    .filter(|(_, leaves)| *leaves)
                    .map(|(m, _)| leave(m))
                    .collect::<Vec<_>>()
            }),
            prop::bool::weighted(0.8),
            proptest::collection::vec(op(size), 0..25),
        )
            .prop_map(
                |(size, lagging, (writer, backlog, committer, count), side, leaves, heal, tail)| {
                    let lagging: Vec<usize> = (0..size).filter(|&m| lagging[m]).collect();
                    let mut ops: Vec<Op> = lagging.iter().map(|&m| Op::Stop(m)).collect();
                    ops.push(Op::Commit(writer, backlog));
                    ops.extend(lagging.iter().map(|&m| Op::Start(m)));
                    ops.push(Op::Partition(side));
                    ops.push(Op::Commit(committer, count));
                    ops.extend(leaves);
                    if heal {
                        ops.push(Op::Heal);
                    }
                    ops.extend(tail);
                    (size, ops)
                },
            )
    })
}

/// Plays `op`; what it acknowledged joins `acknowledged`. Refusals are part of the history.
fn play(world: &mut World, op: &Op, acknowledged: &mut GtidSet) {
    let name = |world: &World, m: usize| world.members[m].name.clone();
    match *op {
        Op::Commit(m, count) => {
            if let Ok(gtids) = world.commit_now(m, count) {
                for gtid in gtids {
                    if let Ok(one) = gtid.parse::<GtidSet>() {
                        acknowledged.union_with(&one);
                    }
                }
            }
        }
        Op::Stop(m) => {
            if world.members[m].up {
                world.stop_gr(m);
            }
        }
        Op::Start(m) => {
            if world.members[m].up {
                let _ = world.start_gr(m, false);
            }
        }
        Op::Crash(m) => {
            let _ = world.inject(&Fault::Crash {
                member: name(world, m),
            });
        }
        Op::Restart(m) => {
            let _ = world.inject(&Fault::Restart {
                member: name(world, m),
            });
        }
        Op::Reboot(m, secs) => {
            let _ = world.reboot_instance(m, Some(Duration::from_secs(secs)));
        }
        Op::Partition(mask) => {
            let side = (0..world.members.len())
                .filter(|m| mask & (1 << m) != 0)
                .map(|m| name(world, m))
                .collect();
            let _ = world.inject(&Fault::Partition { sides: vec![side] });
        }
        Op::Heal => {
            let _ = world.inject(&Fault::Heal);
        }
        Op::Wait(ms) => world.advance_to(world.now + Duration::from_millis(ms)),
    }
    world.step();
}

/// What the history broke, if anything.
fn broken(world: &World, acknowledged: &GtidSet) -> Option<String> {
    if let Some(reuse) = world.ledger.reused.first() {
        return Some(format!("a GTID issued twice: {reuse:?}"));
    }
    for comp in world.components() {
        // A group that can commit: a majority, and an ONLINE member. Joiners left without
        // their donor hold a majority of their view but commit nothing and never turn ONLINE
        // without the group's transactions (joins.rs): they lack what came before their join.
        if !world.has_majority(&comp) || !comp.iter().any(|&m| world.members[m].is_online()) {
            continue;
        }
        let mut held = GtidSet::new();
        for &m in &comp {
            held.union_with(&world.members[m].known());
        }
        let lost = acknowledged.subtract(&held);
        if !lost.is_empty() {
            let names: Vec<&str> = comp
                .iter()
                .map(|&m| world.members[m].name.as_str())
                .collect();
            return Some(format!("the group of {names:?} lacks acknowledged {lost}"));
        }
    }
    None
}

/// 256 cases (or `PROPTEST_CASES`) drawn from a fixed seed unless `PROPTEST_RNG_SEED` names
/// one, as grkeeper's property tests draw theirs; printed, so a failure names what reproduces it.
fn config() -> ProptestConfig {
    let mut config = if std::env::var_os("PROPTEST_CASES").is_some() {
        ProptestConfig::default()
    } else {
        ProptestConfig::with_cases(256)
    };
    if config.rng_seed == RngSeed::Random {
        config.rng_seed = RngSeed::Fixed(0x6772_2d73_696d);
    }
    eprintln!(
        "property test seed: PROPTEST_RNG_SEED={} ({} cases)",
        config.rng_seed, config.cases
    );
    config
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn no_group_that_can_commit_lacks_a_certified_transaction((size, ops) in history()) {
        let mut world = World::new(&SimConfig::with_members(size), 0).unwrap();
        let mut acknowledged = GtidSet::new();
        for (i, op) in ops.iter().enumerate() {
            play(&mut world, op, &mut acknowledged);
            if let Some(why) = broken(&world, &acknowledged) {
                prop_assert!(false, "after step {} ({:?}): {}", i, op, why);
            }
        }
    }
}
