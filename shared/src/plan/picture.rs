//! The cluster as the planner reasons about it: each instance with what was seen of it, the live
//! groups the members' views describe, which of them holds quorum, and the cluster's health.
//!
//! Views disagree after partitions and restarts, so no single member is trusted: a view counts
//! only when its owner is itself live, and quorum uses MySQL Shell's rule
//! (`docs/group-replication.md`).

use std::collections::BTreeMap;

use crate::gtid::GtidSet;
use crate::model::{Instance, MemberReport, MemberState, ProbeError, RdsInstance, ViewMember};

use super::{ClusterStatus, Health};

/// One inventory instance and what was seen of it.
#[derive(Debug)]
pub(crate) struct Node<'a> {
    /// Position in the inventory (stable order for messages and tie-breaks).
    pub index: usize,
    pub id: &'a str,
    pub rds: Option<&'a RdsInstance>,
    pub rds_error: Option<&'a str>,
    pub report: Option<&'a MemberReport>,
    pub probe_error: Option<&'a ProbeError>,
}

impl Node<'_> {
    /// GR state as the member itself reports it, if it could be read.
    pub fn own_state(&self) -> Option<MemberState> {
        self.report.map(MemberReport::own_state)
    }

    /// True when RDS reports the instance `stopped`.
    pub fn is_stopped(&self) -> bool {
        self.rds.is_some_and(|r| r.status.is_stopped())
    }

    /// True when RDS reports a status in which MySQL cannot be running.
    pub fn is_down(&self) -> bool {
        self.rds.is_some_and(|r| r.status.is_down())
    }

    /// True when the member refused us with 3032 (offline mode).
    pub fn is_offline_mode(&self) -> bool {
        self.probe_error.is_some_and(ProbeError::is_offline_mode)
    }

    /// RDS status as text, for messages.
    pub fn rds_status(&self) -> &str {
        self.rds.map_or("unknown", |r| r.status.0.as_str())
    }

    /// (every transaction it holds, `gtid_purged`), empty when the member was not read. "Holds"
    /// counts what the group certified and queued on it but it has not applied yet: a bootstrap
    /// must start from, and a join be checked against, those too (`docs/group-replication.md`).
    pub fn transactions(&self) -> (GtidSet, GtidSet) {
        self.report.map_or_else(Default::default, |r| {
            (r.known_transactions(), r.gtid_purged.clone())
        })
    }
}

/// A live group: members whose views connect them through ONLINE/RECOVERING rows.
#[derive(Debug)]
pub(crate) struct Group {
    /// Inventory indexes of the observed members that are live in this group.
    pub viewers: Vec<usize>,
    /// True when at least one viewer's view has a majority of reachable members.
    pub has_quorum: bool,
    /// The view of the first viewer with quorum (or the first viewer): uuid -> state.
    pub view: BTreeMap<String, MemberState>,
    /// Rows of that view, for versions.
    pub rows: Vec<ViewMember>,
}

impl Group {
    /// Number of `ONLINE` rows in the group's view.
    pub fn online(&self) -> u32 {
        count(self.view.values().filter(|s| **s == MemberState::Online))
    }
}

/// Everything derived from one snapshot that several playbooks need.
#[derive(Debug)]
pub(crate) struct Picture<'a> {
    pub nodes: Vec<Node<'a>>,
    /// `server_uuid` (lowercase) -> inventory index, for observed members.
    pub by_uuid: BTreeMap<String, usize>,
    /// Live groups, largest first.
    pub groups: Vec<Group>,
    /// Index into `groups` of the one group with quorum, when exactly one has it.
    pub quorum: Option<usize>,
    pub health: Health,
}

impl<'a> Picture<'a> {
    pub fn new(instances: &'a [Instance]) -> Picture<'a> {
        let nodes: Vec<Node<'a>> = instances
            .iter()
            .enumerate()
            .map(|(index, inst)| Node {
                index,
                id: &inst.id,
                rds: inst.rds.seen(),
                rds_error: inst.rds.failed().map(String::as_str),
                report: inst.mysql.seen(),
                probe_error: inst.mysql.failed(),
            })
            .collect();
        let by_uuid = nodes
            .iter()
            .filter_map(|n| {
                n.report
                    .map(|r| (r.server_uuid.to_ascii_lowercase(), n.index))
            })
            .collect();
        let any_live_row = nodes
            .iter()
            .filter_map(|n| n.report)
            .flat_map(|r| &r.view)
            .any(|row| row.state.is_live());
        let groups = live_groups(&nodes);
        let with_quorum: Vec<usize> = (0..groups.len())
            .filter(|&g| groups[g].has_quorum)
            .collect();
        let quorum = match with_quorum.as_slice() {
            [one] => Some(*one),
            _ => None,
        };
        let health = health(nodes.len(), &groups, &with_quorum, any_live_row);
        Picture {
            nodes,
            by_uuid,
            groups,
            quorum,
            health,
        }
    }

    /// The group holding quorum, when exactly one does.
    pub fn quorum_group(&self) -> Option<&Group> {
        self.quorum.map(|g| &self.groups[g])
    }

    /// The state the quorum group's view gives this instance, if it lists it.
    pub fn state_in_quorum_group(&self, node: &Node<'_>) -> Option<MemberState> {
        let uuid = node.report?.server_uuid.to_ascii_lowercase();
        self.quorum_group()?.view.get(&uuid).copied()
    }

    /// Every state the quorum group's viewers list this member in: views can disagree for a
    /// moment, and the safe reading considers all of them.
    pub fn listed_states(&self, node: &Node<'_>) -> Vec<MemberState> {
        let (Some(group), Some(report)) = (self.quorum_group(), node.report) else {
            return Vec::new();
        };
        group
            .viewers
            .iter()
            .filter_map(|&v| self.nodes[v].report)
            .flat_map(|r| &r.view)
            .filter(|row| row.member_id.eq_ignore_ascii_case(&report.server_uuid))
            .map(|row| row.state)
            .collect()
    }

    /// True when any viewer of the quorum group lists this member ONLINE.
    pub fn online_in_quorum_group(&self, node: &Node<'_>) -> bool {
        self.listed_states(node).contains(&MemberState::Online)
    }

    /// Every transaction the observed members ONLINE in the quorum group hold (applied, or
    /// certified and queued): what the group has committed, as far as its members could be read.
    pub fn group_transactions(&self) -> GtidSet {
        self.quorum_donors()
            .fold(GtidSet::new(), |acc, n| acc.union(&n.transactions().0))
    }

    /// The own views of the quorum group's members that hold quorum in them.
    pub fn quorum_views(&self) -> impl Iterator<Item = &'a [ViewMember]> {
        let viewers = self
            .quorum_group()
            .map_or(&[][..], |g| g.viewers.as_slice());
        viewers
            .iter()
            .filter_map(|&v| self.nodes[v].report)
            .filter(|r| r.has_quorum())
            .map(|r| r.view.as_slice())
    }

    /// True when the quorum group's view lists a member ONLINE that no read instance is: it may
    /// be an instance that could not be read.
    pub fn unread_online_in_quorum_group(&self) -> bool {
        self.quorum_views().flatten().any(|row| {
            row.state == MemberState::Online
                && !self
                    .by_uuid
                    .contains_key(&row.member_id.to_ascii_lowercase())
        })
    }

    /// Observed members ONLINE in the quorum group: the possible recovery donors.
    pub fn quorum_donors(&self) -> impl Iterator<Item = &Node<'a>> {
        self.nodes.iter().filter(|n| {
            n.own_state() == Some(MemberState::Online)
                && self.state_in_quorum_group(n) == Some(MemberState::Online)
        })
    }

    /// The inventory instance a `MEMBER_ID` belongs to.
    pub fn node_of(&self, member_id: &str) -> Option<&Node<'a>> {
        self.by_uuid
            .get(&member_id.to_ascii_lowercase())
            .map(|&i| &self.nodes[i])
    }

    /// Strict majority of the inventory.
    pub fn majority(&self) -> u32 {
        count(self.nodes.iter()) / 2 + 1
    }
}

/// Groups the live observed members: two are in one group when either lists the other as
/// ONLINE or RECOVERING. A partition's sides list each other UNREACHABLE, so they stay apart;
/// two bootstrapped groups never list each other at all.
fn live_groups(nodes: &[Node<'_>]) -> Vec<Group> {
    let live: Vec<&Node<'_>> = nodes
        .iter()
        .filter(|n| n.own_state().is_some_and(MemberState::is_live))
        .collect();
    let uuid_of = |n: &Node<'_>| n.report.map(|r| r.server_uuid.to_ascii_lowercase());
    let mut component: Vec<usize> = (0..live.len()).collect();
    fn root(component: &mut [usize], mut i: usize) -> usize {
        while component[i] != i {
            component[i] = component[component[i]];
            i = component[i];
        }
        i
    }
    for a in 0..live.len() {
        for b in (a + 1)..live.len() {
            let lists = |x: &Node<'_>, y: &Node<'_>| {
                let target = uuid_of(y);
                x.report.is_some_and(|r| {
                    r.view.iter().any(|row| {
                        row.state.is_live() && Some(row.member_id.to_ascii_lowercase()) == target
                    })
                })
            };
            if lists(live[a], live[b]) || lists(live[b], live[a]) {
                let (ra, rb) = (root(&mut component, a), root(&mut component, b));
                component[ra] = rb;
            }
        }
    }
    let mut members: BTreeMap<usize, Vec<&Node<'_>>> = BTreeMap::new();
    for (i, node) in live.iter().enumerate() {
        let r = root(&mut component, i);
        members.entry(r).or_default().push(node);
    }
    let mut groups: Vec<Group> = members
        .into_values()
        .map(|viewers| {
            let quorum_viewer = viewers
                .iter()
                .find(|n| n.report.is_some_and(MemberReport::has_quorum))
                .or(viewers.first());
            let rows: Vec<ViewMember> = quorum_viewer
                .and_then(|n| n.report)
                .map(|r| r.view.clone())
                .unwrap_or_default();
            Group {
                viewers: viewers.iter().map(|n| n.index).collect(),
                has_quorum: viewers
                    .iter()
                    .any(|n| n.report.is_some_and(MemberReport::has_quorum)),
                view: rows
                    .iter()
                    .map(|row| (row.member_id.to_ascii_lowercase(), row.state))
                    .collect(),
                rows,
            }
        })
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.viewers.len()));
    groups
}

fn health(members: usize, groups: &[Group], with_quorum: &[usize], any_live_row: bool) -> Health {
    let members = u32::try_from(members).unwrap_or(u32::MAX);
    let (status, online) = match with_quorum {
        [] if any_live_row || !groups.is_empty() => (ClusterStatus::NoQuorum, 0),
        [] => (ClusterStatus::CompleteOutage, 0),
        [g] => {
            let group = &groups[*g];
            let online = group.online();
            let tolerant = online >= 3;
            let complete = online >= members;
            let status = match (complete, tolerant) {
                (true, true) => ClusterStatus::Ok,
                (true, false) => ClusterStatus::OkNoTolerance,
                (false, true) => ClusterStatus::OkPartial,
                (false, false) => ClusterStatus::OkNoTolerancePartial,
            };
            (status, online)
        }
        _ => (ClusterStatus::SplitBrain, 0),
    };
    Health {
        status,
        members,
        online,
        tolerance: online.saturating_sub(1) / 2,
    }
}

/// Counts items as u32 (at most 9 members; saturates instead of panicking).
pub(crate) fn count<T>(items: impl Iterator<Item = T>) -> u32 {
    u32::try_from(items.count()).unwrap_or(u32::MAX)
}
