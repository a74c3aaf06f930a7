//! Ground truth for assertions: every member's real process, RDS and GR state, every live group
//! (who is in it, who can reach whom, whether it has a majority, what it committed), and the
//! history a checker needs: every bootstrap, and every GTID issued twice.

use serde::{Deserialize, Serialize};

use crate::gtid::GtidSet;
use crate::model::World;
use crate::model::ledger::{Bootstrap, Reuse};
use crate::model::member::Gr;
use crate::rds::InstanceStatus;

/// The whole simulator at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truth {
    /// Simulated milliseconds since start.
    pub now_ms: u64,
    /// Members in configuration order.
    pub members: Vec<MemberTruth>,
    /// Live groups: members sharing a view and able to talk, one entry per such component.
    pub groups: Vec<GroupTruth>,
    /// Every bootstrap since start, oldest first.
    pub bootstraps: Vec<Bootstrap>,
    /// Every commit that issued a GTID issued before (two transactions under one GTID).
    pub reused_gtids: Vec<Reuse>,
}

/// One member as it really is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberTruth {
    /// RDS instance id.
    pub name: String,
    /// `@@server_uuid`.
    pub server_uuid: String,
    /// `@@version`.
    pub version: String,
    /// mysqld is running.
    pub up: bool,
    /// RDS DBInstanceStatus.
    pub instance_status: InstanceStatus,
    /// Its own MEMBER_STATE (ONLINE, RECOVERING, OFFLINE, ERROR); None while down.
    pub state: Option<String>,
    /// Index into `Truth::groups` of the live group it belongs to.
    pub group: Option<usize>,
    /// Its view of the group: (member name, MEMBER_STATE) as its members table shows.
    pub view: Vec<(String, String)>,
    /// `@@super_read_only`.
    pub super_read_only: bool,
    /// `@@read_only`.
    pub read_only: bool,
    /// `@@offline_mode`.
    pub offline_mode: bool,
    /// An auto-rejoin attempt is still to come.
    pub auto_rejoin_pending: bool,
    /// Accepts connections but never answers.
    pub blackholed: bool,
    /// Added reply latency in milliseconds.
    pub latency_ms: u64,
    /// `@@gtid_executed` (MySQL text form).
    pub gtid_executed: String,
    /// `@@gtid_purged`.
    pub gtid_purged: String,
}

/// A live group component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupTruth {
    /// `group_replication_group_name`.
    pub group_name: String,
    /// Which bootstrap created it (two bootstraps: two groups, even with one name).
    pub incarnation: u64,
    /// VIEW_ID.
    pub view_id: String,
    /// Members listed in the view (reachable or not).
    pub view: Vec<String>,
    /// Members of the view that can reach each other (this component).
    pub reachable: Vec<String>,
    /// Reachable members that are ONLINE.
    pub online: Vec<String>,
    /// More than half of the view is reachable: it can commit and change membership.
    pub has_majority: bool,
    /// Union of the ONLINE members' `gtid_executed`.
    pub gtid_executed: String,
}

impl Truth {
    pub(crate) fn of(world: &World) -> Truth {
        let names = |ms: &[usize]| ms.iter().map(|&m| world.members[m].name.clone()).collect();
        let components = world.components();
        let groups: Vec<GroupTruth> = components
            .iter()
            .filter_map(|comp| {
                let view = world.view_of(comp)?;
                let incarnation = world.members[comp[0]].active()?.incarnation;
                let (online, executed) = world.online_holdings(comp);
                Some(GroupTruth {
                    group_name: world.members[comp[0]].cfg.group_name.clone(),
                    incarnation,
                    view_id: view.id(),
                    view: names(&view.members),
                    reachable: names(comp),
                    online: names(&online),
                    has_majority: world.has_majority(comp),
                    gtid_executed: executed.to_string(),
                })
            })
            .collect();
        let members = world
            .members
            .iter()
            .enumerate()
            .map(|(m, member)| MemberTruth {
                name: member.name.clone(),
                server_uuid: member.uuid.clone(),
                version: member.version.to_string(),
                up: member.up,
                instance_status: member.instance.status,
                state: member.up.then(|| member.state_name().to_string()),
                group: components.iter().position(|c| c.contains(&m)),
                view: if member.up {
                    world
                        .view_rows(m)
                        .into_iter()
                        .map(|(t, s)| (world.members[t].name.clone(), s.to_string()))
                        .collect()
                } else {
                    Vec::new()
                },
                super_read_only: member.super_read_only,
                read_only: member.read_only,
                offline_mode: member.offline_mode,
                auto_rejoin_pending: matches!(&member.gr, Gr::Error(e) if e.rejoin.is_some()),
                blackholed: member.blackhole,
                latency_ms: u64::try_from(member.latency.as_millis()).unwrap_or(u64::MAX),
                gtid_executed: member.executed.to_string(),
                gtid_purged: member.purged.to_string(),
            })
            .collect();
        Truth {
            now_ms: u64::try_from(world.now.as_millis()).unwrap_or(u64::MAX),
            members,
            groups,
            bootstraps: world.ledger.bootstraps.clone(),
            reused_gtids: world.ledger.reused.clone(),
        }
    }

    /// The member with this instance id.
    pub fn member(&self, name: &str) -> Option<&MemberTruth> {
        self.members.iter().find(|m| m.name == name)
    }

    /// Its own MEMBER_STATE ("DOWN" while mysqld is not running, "?" for unknown names).
    pub fn state(&self, name: &str) -> &str {
        match self.member(name) {
            Some(m) => m.state.as_deref().unwrap_or("DOWN"),
            None => "?",
        }
    }

    /// `name` is up with Group Replication OFFLINE and no group's view lists it any more (after a
    /// stop, or once its previous incarnation was expelled after a restart).
    pub fn offline_and_out_of_every_view(&self, name: &str) -> bool {
        self.state(name) == "OFFLINE"
            && self
                .groups
                .iter()
                .all(|g| !g.view.iter().any(|m| m == name))
    }

    /// What taking `name` out of its group now would leave, `(ONLINE members left, members in
    /// the view)`, when it is ONLINE in a group that holds a majority; `None` when it is not
    /// (taking it out removes no one from a live majority). A checker compares the first with a
    /// majority of the second.
    pub fn online_without(&self, name: &str) -> Option<(usize, usize)> {
        let member = self.member(name)?;
        if member.state.as_deref() != Some("ONLINE") {
            return None;
        }
        let group = self.groups.get(member.group?)?;
        if !group.has_majority || !group.online.iter().any(|m| m == name) {
            return None;
        }
        Some((group.online.len() - 1, group.view.len()))
    }

    /// Live groups that hold a majority of their view.
    pub fn majority_groups(&self) -> Vec<&GroupTruth> {
        self.groups.iter().filter(|g| g.has_majority).collect()
    }

    /// More than one group can commit: a split brain.
    pub fn split_brain(&self) -> bool {
        self.majority_groups().len() > 1
    }

    /// One group with a majority, every member up and ONLINE in it with the same GTID set.
    pub fn converged(&self) -> bool {
        let [group] = self.majority_groups()[..] else {
            return false;
        };
        self.members.iter().all(|m| {
            m.state.as_deref() == Some("ONLINE")
                && group.online.contains(&m.name)
                && m.gtid_executed == group.gtid_executed
        })
    }

    /// One line for a person: each member's state (with offline mode and a transitional RDS
    /// status), and each live group (its incarnation, view, ONLINE members, majority or not).
    pub fn summary(&self) -> String {
        let members: Vec<String> = self
            .members
            .iter()
            .map(|m| {
                let mut text = format!("{} {}", m.name, self.state(&m.name));
                if m.offline_mode {
                    text.push_str(" (offline mode)");
                }
                if m.instance_status != InstanceStatus::Available {
                    text.push_str(&format!(" (RDS {})", m.instance_status));
                }
                text
            })
            .collect();
        let groups: Vec<String> = self
            .groups
            .iter()
            .map(|g| {
                format!(
                    "group #{} of [{}] with [{}] ONLINE, {}",
                    g.incarnation,
                    g.view.join(", "),
                    g.online.join(", "),
                    if g.has_majority {
                        "majority"
                    } else {
                        "no majority"
                    }
                )
            })
            .collect();
        let groups = if groups.is_empty() {
            "no live group".to_owned()
        } else {
            groups.join("; ")
        };
        format!("{}; {groups}", members.join(", "))
    }

    /// Every transaction any member has executed.
    pub fn all_executed(&self) -> GtidSet {
        let mut all = GtidSet::new();
        for m in &self.members {
            if let Ok(set) = m.gtid_executed.parse::<GtidSet>() {
                all.union_with(&set);
            }
        }
        all
    }
}
