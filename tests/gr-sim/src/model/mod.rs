//! The group model: every member's server and GR state, the network between them, and the
//! time-driven rules (suspicion, expulsion, recovery, rejoin, RDS transitions) that move it.
//!
//! The model is sans-IO: callers hold it under a lock, call one mutation, then `step` (or
//! `advance_to` a later time); it never sleeps and never reads a clock.

pub(crate) mod errlog;
pub(crate) mod group;
pub(crate) mod join;
pub(crate) mod leave;
pub(crate) mod ledger;
pub(crate) mod lifecycle;
pub(crate) mod member;
pub(crate) mod writes;

#[cfg(test)]
mod certified;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::config::{SimConfig, StartState, Timing};
use crate::errors::{SimError, SqlError};
use crate::gtid::GtidSet;
use crate::rds::RdsEvent;

use self::ledger::Ledger;
use self::member::Member;

/// Bound on rule passes per step and on timed events per `advance_to`, so a modelling
/// mistake shows up as a stuck state instead of a hung test.
const MAX_PASSES: usize = 64;
const MAX_EVENTS: usize = 100_000;

/// Transactions committed by the bootstrap member when a cluster starts ONLINE or STOPPED.
const INITIAL_TRANSACTIONS: u64 = 3;

#[derive(Debug)]
pub(crate) struct World {
    /// Simulated time since the cluster started.
    pub now: Duration,
    pub timing: Timing,
    pub members: Vec<Member>,
    /// Network partition side of each member; members on different sides cannot talk.
    pub sides: Vec<u32>,
    /// When `observer` lost contact with `target`, for pairs sharing a view.
    pub lost_contact: BTreeMap<(usize, usize), Duration>,
    /// Pairs whose suspicion was already written to the observer's error log.
    pub suspicions_logged: BTreeSet<(usize, usize)>,
    pub next_incarnation: u64,
    pub next_membership: u64,
    /// Bumped by every change, so waiters know to look again.
    pub revision: u64,
    /// Wall-clock microseconds (Unix) at simulated time zero.
    pub epoch_micros: i64,
    pub rds_events: Vec<RdsEvent>,
    /// GTIDs issued and bootstraps, as they happened.
    pub ledger: Ledger,
}

impl World {
    /// Builds the members of `cfg` in its start state at time zero.
    pub fn new(cfg: &SimConfig, epoch_micros: i64) -> Result<World, SimError> {
        let seeds_of = |names: &[String]| {
            names
                .iter()
                .map(|n| format!("{}:3306", member::endpoint(n)))
                .collect::<Vec<_>>()
                .join(",")
        };
        let all_names = cfg.names();
        let members = cfg
            .members
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let seeds = seeds_of(spec.seeds.as_deref().unwrap_or(&all_names));
                Member::new(i, spec, seeds, &cfg.group_name)
            })
            .collect::<Vec<_>>();
        let mut world = World {
            now: Duration::ZERO,
            timing: cfg.timing,
            sides: vec![0; members.len()],
            members,
            lost_contact: BTreeMap::new(),
            suspicions_logged: BTreeSet::new(),
            next_incarnation: 1,
            next_membership: 1,
            revision: 0,
            epoch_micros,
            rds_events: Vec::new(),
            ledger: Ledger::default(),
        };
        for m in 0..world.members.len() {
            world.log_boot(m);
        }
        world.apply_start_state(cfg)?;
        Ok(world)
    }

    fn apply_start_state(&mut self, cfg: &SimConfig) -> Result<(), SimError> {
        if cfg.start == StartState::Unconfigured {
            return Ok(());
        }
        let enabled: Vec<usize> = (0..self.members.len())
            .filter(|&m| self.members[m].cfg.gr_enabled)
            .collect();
        for &m in &enabled {
            let member = &mut self.members[m];
            member.repl_user = Some(cfg.repl_password.clone());
            member.recovery_channel = Some(cfg.repl_password.clone());
        }
        let joining: Vec<usize> = enabled
            .iter()
            .copied()
            .filter(|&m| cfg.members[m].joins_at_start)
            .collect();
        let Some((&first, rest)) = joining.split_first() else {
            return Ok(());
        };
        self.start_gr(first, true)?;
        self.commit_now(first, INITIAL_TRANSACTIONS)?;
        for &m in rest {
            self.sync_initialization_gtids(m);
            // A member the group refuses (an older version) starts OFFLINE, as after a failed START.
            if self.start_gr(m, false).is_ok() {
                self.finish_recovery(m);
            }
        }
        if cfg.start == StartState::Stopped {
            for &m in &joining {
                self.stop_gr(m);
            }
        }
        self.step();
        Ok(())
    }

    /// AWS's procedure before a 9.7 instance joins: placeholders (`advance_gtid`) for the
    /// joiner's own GTIDs on every ONLINE member, and for each ONLINE member's own on the joiner.
    fn sync_initialization_gtids(&mut self, m: usize) {
        let online: Vec<usize> = (0..self.members.len())
            .filter(|&t| t != m && self.members[t].is_online())
            .collect();
        for t in online {
            for (from, to) in [(m, t), (t, m)] {
                let uuid = self.members[from].uuid.clone();
                let last = self.members[from].executed.last_gno(&uuid);
                if last > 0 {
                    self.advance_gtid(to, &uuid, 1, last);
                }
            }
        }
    }

    /// `mysql.rds_group_replication_advance_gtid` on member `m`: an empty transaction for every
    /// one of `uuid:begin-end` not executed yet, with binary logging off, so it stays on `m`.
    pub(crate) fn advance_gtid(&mut self, m: usize, uuid: &str, begin: u64, end: u64) {
        let mut created = GtidSet::new();
        created.add_range(uuid, begin, end);
        let created = created.subtract(&self.members[m].executed);
        let member = &mut self.members[m];
        member.executed.union_with(&created);
        member.unlogged.union_with(&created);
        self.touch();
    }

    /// Records that something changed.
    pub fn touch(&mut self) {
        self.revision += 1;
    }

    /// Index of the member with this instance id.
    pub fn index(&self, name: &str) -> Result<usize, SimError> {
        self.members
            .iter()
            .position(|m| m.name == name)
            .ok_or_else(|| SimError::UnknownMember(name.to_string()))
    }

    /// Applies every rule whose time has come, until nothing changes.
    pub fn step(&mut self) {
        for _ in 0..MAX_PASSES {
            let before = self.revision;
            self.finish_instance_transitions();
            // Members back in contact catch up on what their group decided before any view
            // change that comes after it (a leave, an expulsion): XCom delivers in order.
            self.sync_components();
            self.learn_expulsions();
            self.track_contact();
            self.renew_suspicions();
            self.expel_unreachable();
            self.watch_majority();
            self.finish_leaves();
            self.finish_recoveries();
            self.run_rejoins();
            if self.revision == before {
                return;
            }
        }
        tracing::warn!("group model did not settle after {MAX_PASSES} passes");
    }

    /// Moves time to `target`, stopping at every event on the way so rules fire in order.
    /// Time passing alone is not a change: only the rules that fire bump the revision.
    pub fn advance_to(&mut self, target: Duration) {
        self.step();
        for _ in 0..MAX_EVENTS {
            match self.next_deadline() {
                Some(at) if at <= target => {
                    self.now = at;
                    self.step();
                }
                _ => break,
            }
        }
        if target > self.now {
            self.now = target;
            self.step();
        }
    }

    /// The earliest moment after now at which a rule would fire.
    pub fn next_deadline(&self) -> Option<Duration> {
        let now = self.now;
        let mut times: Vec<Duration> = Vec::new();
        for member in &self.members {
            times.extend(member.instance.until);
            times.extend(member.boot_join.map(|r| r.next_at));
            match &member.gr {
                member::Gr::Error(state) => times.extend(state.rejoin.map(|r| r.next_at)),
                member::Gr::Active(active) => {
                    times.extend(
                        active
                            .leaving_since
                            .map(|since| since + self.timing.view_change_timeout),
                    );
                    if let member::Phase::Recovering { until, .. } = active.phase {
                        times.push(until);
                    }
                    if let Some(lost) = active.majority_lost_at {
                        let limit = member.cfg.unreachable_majority_timeout;
                        if limit > 0 {
                            times.push(lost + self.timing.gr_second * limit);
                        }
                    }
                }
                member::Gr::Offline => {}
            }
        }
        times.extend(self.suspicion_deadlines());
        times.into_iter().filter(|&t| t > now).min()
    }

    /// Wall-clock time (Unix microseconds) of a simulated instant.
    pub fn wall_micros(&self, at: Duration) -> i64 {
        self.epoch_micros
            .saturating_add(i64::try_from(at.as_micros()).unwrap_or(i64::MAX))
    }

    /// The error offline mode refuses a client of member `m` with, if it is in offline mode:
    /// 3032, or from 9.0 on 6400 with the time and reason when one was recorded.
    pub fn offline_refusal(&self, m: usize) -> Option<SqlError> {
        let member = &self.members[m];
        if !member.offline_mode {
            return None;
        }
        Some(match &member.offline_reason {
            Some((at, reason)) if member.version.tells_offline_reason() => {
                let since = chrono::DateTime::from_timestamp_micros(self.wall_micros(*at))
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_default();
                SqlError::offline_mode_reason(&since, reason)
            }
            _ => SqlError::offline_mode(),
        })
    }

    /// `host:3306` as GR names a member in its messages.
    pub fn address(&self, m: usize) -> String {
        format!("{}:3306", self.members[m].hostname)
    }
}
