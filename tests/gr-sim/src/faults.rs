//! Faults a test (or the HTTP control) can inject, as data so both speak the same language:
//! process crashes and restarts, network partitions, blackholes and latency, GR errors, offline
//! mode, errant transactions, purged binlogs, upgrades, restored snapshots, writes, and error-log
//! lines.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::errors::SimError;
use crate::gtid::GtidSet;
use crate::model::World;
use crate::model::errlog;
use crate::model::leave::Leave;
use crate::rds::InstanceStatus;
use crate::version::Version;

fn one() -> u64 {
    1
}

/// One fault. In JSON: `{"fault": "crash", "member": "db2"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum Fault {
    /// mysqld dies: connections drop, the port closes, peers see UNREACHABLE then expel it.
    Crash { member: String },
    /// mysqld starts again (after crashing it first if it runs); GR starts by itself where the
    /// member starts on boot.
    Restart { member: String },
    /// Every member crashes at once.
    CompleteOutage,
    /// Splits the network: each list can only talk within itself; unnamed members form one
    /// more side together.
    Partition { sides: Vec<Vec<String>> },
    /// Ends every partition.
    Heal,
    /// The applier fails: the member leaves its group in ERROR and takes its exit action.
    ApplierError { member: String },
    /// Sets `offline_mode` as a person would, without a reason (new connections and next
    /// statements get 3032).
    OfflineMode { member: String, on: bool },
    /// Accepts TCP connections and never answers (also on open connections).
    Blackhole { member: String, on: bool },
    /// Adds real-time latency before every reply of the member.
    Latency { member: String, ms: u64 },
    /// The member's applier falls behind: while ONLINE it reports `transactions` remote
    /// transactions in its applier queue (0: caught up again).
    ApplierBacklog { member: String, transactions: u64 },
    /// Commits `count` transactions locally with the member's own UUID (not replicated).
    ErrantTransaction {
        member: String,
        #[serde(default = "one")]
        count: u64,
    },
    /// Purges binary logs up to a GTID set (`upto`), or everything executed so far.
    PurgeBinlogs {
        member: String,
        #[serde(default)]
        upto: Option<String>,
    },
    /// A minor version upgrade: `upgrading` for the reboot time, then up on `version`.
    Upgrade { member: String, version: Version },
    /// RDS restores a snapshot of `from` into instance `member` (taken now): `member` restarts
    /// as a copy of `from`'s data, its `server_uuid` and GTID sets included.
    Restore { member: String, from: String },
    /// Writes `data` as an `Error` line of the `Repl` subsystem to the member's error log, word
    /// for word: what a broken or hostile server could log (line breaks, escape sequences,
    /// megabytes).
    LogLine { member: String, data: String },
    /// Commits `count` write transactions as a client would (refused where a client would be;
    /// an error instead of a hang where a client would block).
    Commit {
        member: String,
        #[serde(default = "one")]
        count: u64,
    },
}

impl World {
    /// Applies a fault; returns the GTIDs it committed (Commit, ErrantTransaction).
    pub(crate) fn inject(&mut self, fault: &Fault) -> Result<Vec<String>, SimError> {
        match fault {
            Fault::Crash { member } => {
                let m = self.index(member)?;
                self.crash(m);
            }
            Fault::Restart { member } => {
                let m = self.index(member)?;
                let status = self.members[m].instance.status;
                if status != InstanceStatus::Available {
                    return Err(SimError::Fault(format!(
                        "instance {member} is {status}; use the RDS API"
                    )));
                }
                self.crash(m);
                self.boot(m);
            }
            Fault::CompleteOutage => (0..self.members.len()).for_each(|m| self.crash(m)),
            Fault::Partition { sides } => self.partition(sides)?,
            Fault::Heal => {
                self.sides.iter_mut().for_each(|s| *s = 0);
                self.touch();
            }
            Fault::ApplierError { member } => {
                let m = self.index(member)?;
                self.leave_involuntarily(m, Leave::ApplierError);
            }
            Fault::OfflineMode { member, on } => {
                let m = self.index(member)?;
                // Set as a person would (`SET GLOBAL offline_mode`): no reason recorded.
                self.members[m].offline_mode = *on;
                self.members[m].offline_reason = None;
                self.touch();
            }
            Fault::Blackhole { member, on } => {
                let m = self.index(member)?;
                self.members[m].blackhole = *on;
                self.touch();
            }
            Fault::Latency { member, ms } => {
                let m = self.index(member)?;
                self.members[m].latency = Duration::from_millis(*ms);
                self.touch();
            }
            Fault::ApplierBacklog {
                member,
                transactions,
            } => {
                let m = self.index(member)?;
                self.members[m].backlog = *transactions;
                self.touch();
            }
            Fault::ErrantTransaction { member, count } => {
                let m = self.index(member)?;
                let uuid = self.members[m].uuid.clone();
                let last = self.members[m].executed.last_gno(&uuid);
                self.issue(m, &uuid, last + 1, last + count);
                self.touch();
                return Ok((last + 1..=last + count)
                    .map(|g| format!("{uuid}:{g}"))
                    .collect());
            }
            Fault::PurgeBinlogs { member, upto } => {
                let m = self.index(member)?;
                let executed = self.members[m].executed.clone();
                let purge = match upto {
                    None => executed,
                    Some(text) => text
                        .parse::<GtidSet>()
                        .map_err(|e| SimError::Fault(e.to_string()))?
                        .intersection(&executed),
                };
                self.members[m].purged.union_with(&purge);
                self.touch();
            }
            Fault::Upgrade { member, version } => {
                let m = self.index(member)?;
                self.upgrade_instance(m, *version)?;
            }
            Fault::Restore { member, from } => {
                let (m, f) = (self.index(member)?, self.index(from)?);
                if m == f {
                    return Err(SimError::Fault(format!(
                        "{member} cannot be restored onto itself"
                    )));
                }
                self.crash(m);
                let source = &self.members[f];
                let (uuid, executed, received, purged, unlogged) = (
                    source.uuid.clone(),
                    source.executed.clone(),
                    source.received.clone(),
                    source.purged.clone(),
                    source.unlogged.clone(),
                );
                let copy = &mut self.members[m];
                copy.uuid = uuid;
                copy.executed = executed;
                copy.received = received;
                copy.purged = purged;
                copy.unlogged = unlogged;
                self.boot(m);
            }
            Fault::LogLine { member, data } => {
                let m = self.index(member)?;
                let now = self.now;
                self.members[m].log(now, errlog::written(data.clone()));
                self.touch();
            }
            Fault::Commit { member, count } => {
                let m = self.index(member)?;
                return self.commit_now(m, *count);
            }
        }
        Ok(Vec::new())
    }

    fn partition(&mut self, sides: &[Vec<String>]) -> Result<(), SimError> {
        let mut assigned = vec![0u32; self.members.len()];
        for (i, side) in sides.iter().enumerate() {
            for name in side {
                let m = self.index(name)?;
                if assigned[m] != 0 {
                    return Err(SimError::Fault(format!("{name} is on two sides")));
                }
                assigned[m] = u32::try_from(i + 1).unwrap_or(u32::MAX);
            }
        }
        self.sides = assigned;
        self.touch();
        Ok(())
    }
}
