//! What the cluster's history must never contain, kept as it happens so a checker can read it
//! from the ground truth: every GTID ever issued and by whom (a second issue of one GTID names two
//! different transactions: divergence under reused numbers), and every bootstrap with the members
//! that were live in a group at that moment (a bootstrap beside a live group makes two groups).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::gtid::GtidSet;
use crate::model::World;

/// The record kept by the model.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ledger {
    /// Every GTID issued so far, on any member.
    pub issued: GtidSet,
    /// Issues of GTIDs that had been issued before.
    pub reused: Vec<Reuse>,
    /// Every bootstrap, oldest first.
    pub bootstraps: Vec<Bootstrap>,
}

/// GTIDs issued a second time: one GTID now names two different transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reuse {
    /// Simulated milliseconds since start.
    pub at_ms: u64,
    /// The member that issued them again.
    pub member: String,
    /// The GTIDs issued again (MySQL text form).
    pub gtids: String,
}

/// One `START GROUP_REPLICATION` with `group_replication_bootstrap_group` on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bootstrap {
    /// Simulated milliseconds since start.
    pub at_ms: u64,
    /// The member that bootstrapped.
    pub member: String,
    /// The group incarnation it created.
    pub incarnation: u64,
    /// Its `gtid_executed` then: what the new group starts from.
    pub gtid_executed: String,
    /// The other members ONLINE or RECOVERING in a group at that moment (`name:incarnation`).
    pub live: Vec<String>,
}

impl World {
    /// Member `m` commits `uuid:first-last` itself (a write, an errant transaction, an empty
    /// transaction filling a gap); numbers issued before anywhere are recorded as reused.
    pub(crate) fn issue(&mut self, m: usize, uuid: &str, first: u64, last: u64) {
        let mut new = GtidSet::new();
        new.add_range(uuid, first, last);
        let again = new.intersection(&self.ledger.issued);
        if !again.is_empty() {
            self.ledger.reused.push(Reuse {
                at_ms: millis(self.now),
                member: self.members[m].name.clone(),
                gtids: again.to_string(),
            });
        }
        self.ledger.issued.union_with(&new);
        self.members[m].executed.union_with(&new);
    }

    /// Records that member `m` bootstrapped incarnation `incarnation`, with the members live in
    /// a group at this moment.
    pub(crate) fn record_bootstrap(&mut self, m: usize, incarnation: u64) {
        let live = (0..self.members.len())
            .filter(|&o| o != m && self.members[o].up)
            .filter_map(|o| {
                let active = self.members[o].in_group()?;
                Some(format!("{}:{}", self.members[o].name, active.incarnation))
            })
            .collect();
        self.ledger.bootstraps.push(Bootstrap {
            at_ms: millis(self.now),
            member: self.members[m].name.clone(),
            incarnation,
            gtid_executed: self.members[m].executed.to_string(),
            live,
        });
    }
}

fn millis(at: Duration) -> u64 {
    u64::try_from(at.as_millis()).unwrap_or(u64::MAX)
}
