//! Write transactions: refused on read-only members, blocked in a minority, and committed with a
//! GTID (the group name's UUID inside a group, the server's own UUID when standalone).

use crate::errors::{SimError, SqlError};
use crate::model::World;
use crate::model::member::Gr;

/// What happens to a write at this moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Gate {
    Commit,
    /// The member's group has no majority: the commit waits.
    Block,
    Refuse(SqlError),
}

impl World {
    /// The check a write statement meets when it runs: 1290 on a (super-)read-only member.
    pub fn statement_gate(&self, m: usize) -> Result<(), SqlError> {
        let member = &self.members[m];
        if member.super_read_only {
            Err(SqlError::super_read_only())
        } else if member.read_only {
            Err(SqlError::read_only())
        } else {
            Ok(())
        }
    }

    /// The group membership a transaction starts in (None when standalone).
    pub fn write_context(&self, m: usize) -> Option<u64> {
        self.members[m].active().map(|a| a.membership)
    }

    /// The check at COMMIT for a transaction begun in `context` (see `write_context`).
    pub fn commit_gate(&self, m: usize, context: Option<u64>) -> Gate {
        let member = &self.members[m];
        match (&member.gr, context) {
            (Gr::Active(active), Some(membership)) if active.membership == membership => {
                if !member.is_online() {
                    Gate::Refuse(SqlError::super_read_only())
                } else if self.has_majority(&self.component(m)) {
                    Gate::Commit
                } else {
                    Gate::Block
                }
            }
            // The member left the group (and maybe rejoined) while the transaction waited.
            (_, Some(_)) => Gate::Refuse(SqlError::before_commit_hook()),
            (_, None) => match self.statement_gate(m) {
                Ok(()) if member.active().is_none() => Gate::Commit,
                Ok(()) => Gate::Refuse(SqlError::before_commit_hook()),
                Err(e) => Gate::Refuse(e),
            },
        }
    }

    /// Commits `count` transactions on `m` (the gate said Commit) and returns their GTIDs.
    pub fn commit(&mut self, m: usize, count: u64) -> Vec<String> {
        let (uuid, peers, queuing) = match &self.members[m].gr {
            Gr::Active(_) => {
                // Every member of the component certifies the transaction; those not ONLINE
                // (RECOVERING) queue it for after their recovery.
                let (peers, queuing): (Vec<usize>, Vec<usize>) = self
                    .component(m)
                    .into_iter()
                    .partition(|&p| self.members[p].is_online());
                (self.members[m].cfg.group_name.clone(), peers, queuing)
            }
            _ => (self.members[m].uuid.clone(), vec![m], Vec::new()),
        };
        let last = peers
            .iter()
            .chain(&queuing)
            .map(|&p| self.members[p].known().last_gno(&uuid))
            .max()
            .unwrap_or(0);
        let gtids = (last + 1..=last + count)
            .map(|gno| format!("{uuid}:{gno}"))
            .collect();
        self.issue(m, &uuid, last + 1, last + count);
        for &p in &peers {
            let member = &mut self.members[p];
            member.executed.add_range(&uuid, last + 1, last + count);
            if p == m {
                member.local_proposed += count;
            } else {
                member.remote_applied += count;
            }
        }
        for &p in &queuing {
            self.members[p]
                .received
                .add_range(&uuid, last + 1, last + count);
        }
        self.touch();
        gtids
    }

    /// Commits now through the control API: refused where a client would be refused, and an
    /// error (instead of a hang) where a client would block.
    pub fn commit_now(&mut self, m: usize, count: u64) -> Result<Vec<String>, SimError> {
        if !self.members[m].up {
            return Err(SimError::Fault(format!(
                "member '{}' is down",
                self.members[m].name
            )));
        }
        self.statement_gate(m)?;
        match self.commit_gate(m, self.write_context(m)) {
            Gate::Commit => Ok(self.commit(m, count)),
            Gate::Block => Err(SimError::NoQuorum(self.members[m].name.clone())),
            Gate::Refuse(e) => Err(e.into()),
        }
    }
}
