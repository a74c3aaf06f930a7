//! The cluster as the planner reasons about it: each instance with what was seen of it, who each
//! view row is, the live groups the members' views describe, which of them holds quorum, and
//! the cluster's health.
//!
//! Views disagree after partitions and restarts, and the members are not read at one instant, so
//! no single member is trusted: a view counts only when its owner is itself live, and quorum uses
//! MySQL Shell's rule (`docs/group-replication.md`): an `ERROR` row is left out, every other
//! non-`UNREACHABLE` row counts as reachable, an `OFFLINE` joiner included.

use std::collections::{BTreeMap, BTreeSet};

use crate::gtid::GtidSet;
use crate::model::{MemberReport, MemberState, ProbeError, RdsInstance, ViewMember};
use crate::snapshot::Snapshot;

use super::copies::{self, Copy};
use super::{ClusterStatus, Health, LastSeen};

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
    /// What the last observation that read it saw (the journal's memory).
    pub last_seen: Option<&'a LastSeen>,
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

    /// True when the member refused us with an offline-mode error (3032, 6400, 6401).
    pub fn is_offline_mode(&self) -> bool {
        self.probe_error.is_some_and(ProbeError::is_offline_mode)
    }

    /// RDS status as text, for messages.
    pub fn rds_status(&self) -> &str {
        self.rds.map_or("unknown", |r| r.status.0.as_str())
    }

    /// Its `server_uuid` (lowercase): as read now, or as last read when it cannot be read now.
    pub fn identity(&self) -> Option<String> {
        self.report
            .map(|r| r.server_uuid.as_str())
            .or(self.last_seen.map(|l| l.server_uuid.as_str()))
            .map(str::to_ascii_lowercase)
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
    /// `server_uuid` (lowercase) -> inventory index, for the members read now (the first of
    /// instances that share one).
    pub by_uuid: BTreeMap<String, usize>,
    /// Who every known `server_uuid` is: the read members, and the unread ones by their last
    /// reading.
    known: BTreeMap<String, usize>,
    /// Instances whose `server_uuid` another inventory instance has too (a restored copy).
    pub duplicates: BTreeSet<usize>,
    /// View rows under an inventory instance's `server_uuid` at another address: a copy of it
    /// running elsewhere (see [`copies`]).
    pub copies: Vec<Copy<'a>>,
    /// Live groups, largest first.
    pub groups: Vec<Group>,
    /// Index into `groups` of the one group with quorum, when exactly one has it.
    pub quorum: Option<usize>,
    pub health: Health,
}

impl<'a> Picture<'a> {
    pub fn new(snapshot: &'a Snapshot) -> Picture<'a> {
        let nodes: Vec<Node<'a>> = snapshot
            .instances
            .iter()
            .enumerate()
            .map(|(index, inst)| Node {
                index,
                id: &inst.id,
                rds: inst.rds.seen(),
                rds_error: inst.rds.failed().map(String::as_str),
                report: inst.mysql.seen(),
                probe_error: inst.mysql.failed(),
                last_seen: snapshot.history.last_seen.get(&inst.id),
            })
            .collect();
        let mut by_uuid = BTreeMap::new();
        let mut known: BTreeMap<String, usize> = BTreeMap::new();
        let mut duplicates = BTreeSet::new();
        // Read members first, so an unread instance's old uuid never hides a read one.
        let read_first = nodes
            .iter()
            .filter(|n| n.report.is_some())
            .chain(nodes.iter().filter(|n| n.report.is_none()));
        for node in read_first {
            let Some(uuid) = node.identity() else {
                continue;
            };
            if node.report.is_some() {
                by_uuid.entry(uuid.clone()).or_insert(node.index);
            }
            if let Some(&other) = known.get(&uuid) {
                duplicates.extend([other, node.index]);
            } else {
                known.insert(uuid, node.index);
            }
        }
        let copies = copies::find(&nodes, &known, &duplicates);
        let groups = live_groups(&nodes);
        let with_quorum: Vec<usize> = (0..groups.len())
            .filter(|&g| groups[g].has_quorum)
            .collect();
        let quorum = match with_quorum.as_slice() {
            [one] => Some(*one),
            _ => None,
        };
        let second_group = second_group(&nodes);
        // A live row that no member read now contradicts (its owner reports itself live, or
        // could not be read) may be a live group grkeeper cannot see.
        let live_elsewhere = nodes
            .iter()
            .filter_map(|n| n.report)
            .flat_map(|r| &r.view)
            .filter(|row| row.state.is_live())
            .any(|row| {
                by_uuid
                    .get(&row.member_id.to_ascii_lowercase())
                    .is_none_or(|&i| nodes[i].own_state().is_some_and(MemberState::is_live))
            });
        let status = match (nodes.len(), with_quorum.as_slice()) {
            (0, _) => ClusterStatus::Empty,
            (_, [_, _, ..]) => ClusterStatus::SplitBrain,
            _ if second_group => ClusterStatus::SplitBrain,
            (_, [g]) => ok_status(groups[*g].online(), nodes.len()),
            (_, []) if !groups.is_empty() || live_elsewhere => ClusterStatus::NoQuorum,
            (_, []) => ClusterStatus::CompleteOutage,
        };
        let online = match status {
            ClusterStatus::SplitBrain => 0,
            _ => quorum.map_or(0, |g| groups[g].online()),
        };
        let health = Health {
            status,
            members: count(nodes.iter()),
            online,
            tolerance: online.saturating_sub(1) / 2,
        };
        Picture {
            nodes,
            by_uuid,
            known,
            duplicates,
            copies,
            groups,
            quorum,
            health,
        }
    }

    /// True when an instance's `server_uuid` is another's too, inside the inventory or in a copy
    /// a view lists elsewhere: no view row under it can be told to be this instance.
    pub fn shares_identity(&self, index: usize) -> bool {
        self.duplicates.contains(&index) || self.copies.iter().any(|c| c.node == index)
    }

    /// The group holding quorum, when exactly one does.
    pub fn quorum_group(&self) -> Option<&Group> {
        self.quorum.map(|g| &self.groups[g])
    }

    /// The inventory instance with this id.
    pub fn node(&self, id: &str) -> Option<&Node<'a>> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The state the quorum group's view gives this instance, if it lists it.
    pub fn state_in_quorum_group(&self, node: &Node<'_>) -> Option<MemberState> {
        self.quorum_group()?.view.get(&node.identity()?).copied()
    }

    /// Every state the quorum group's viewers list this member in: views can disagree for a
    /// moment, and the safe reading considers all of them.
    pub fn listed_states(&self, node: &Node<'_>) -> Vec<MemberState> {
        let (Some(group), Some(uuid)) = (self.quorum_group(), node.identity()) else {
            return Vec::new();
        };
        group
            .viewers
            .iter()
            .filter_map(|&v| self.nodes[v].report)
            .flat_map(|r| &r.view)
            .filter(|row| row.member_id.eq_ignore_ascii_case(&uuid))
            .map(|row| row.state)
            .collect()
    }

    /// The state `view` lists `node` in. A member whose `server_uuid` grkeeper has never read
    /// may be any row no known member accounts for: then the row whose removal costs the view
    /// most.
    pub fn listed_in(&self, view: &[ViewMember], node: &Node<'_>) -> Option<MemberState> {
        match node.identity() {
            Some(uuid) => view
                .iter()
                .find(|row| row.member_id.eq_ignore_ascii_case(&uuid))
                .map(|row| row.state),
            None => view
                .iter()
                .filter(|row| !self.is_known(&row.member_id))
                .map(|row| row.state)
                .max_by_key(|state| removal_cost(*state)),
        }
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

    /// Observed members ONLINE in the quorum group: the possible recovery donors.
    pub fn quorum_donors(&self) -> impl Iterator<Item = &Node<'a>> {
        self.nodes.iter().filter(|n| {
            n.own_state() == Some(MemberState::Online)
                && self.state_in_quorum_group(n) == Some(MemberState::Online)
        })
    }

    /// The inventory instance a `MEMBER_ID` belongs to, read now or by its last reading.
    pub fn node_of(&self, member_id: &str) -> Option<&Node<'a>> {
        self.known
            .get(&member_id.to_ascii_lowercase())
            .map(|&i| &self.nodes[i])
    }

    /// True when the `MEMBER_ID` is an inventory instance's (read now, or by its last reading).
    pub fn is_known(&self, member_id: &str) -> bool {
        self.known.contains_key(&member_id.to_ascii_lowercase())
    }

    /// Who a view row is, for messages: the instance it belongs to, or its id, address and the
    /// instances it may be (those whose `server_uuid` grkeeper has never read).
    pub fn who(&self, row: &ViewMember) -> String {
        if let Some(node) = self.node_of(&row.member_id) {
            return node.id.to_string();
        }
        let never_read: Vec<&str> = self.unidentified().map(|n| n.id).collect();
        if never_read.is_empty() {
            format!("{} ({}:{})", row.member_id, row.host, row.port)
        } else {
            format!(
                "{} ({}:{}, maybe {})",
                row.member_id,
                row.host,
                row.port,
                never_read.join(" or ")
            )
        }
    }

    /// Instances whose `server_uuid` grkeeper has never read: a row nobody accounts for may be
    /// one of them.
    pub fn unidentified(&self) -> impl Iterator<Item = &Node<'a>> {
        self.nodes.iter().filter(|n| n.identity().is_none())
    }

    /// Rows of read views that list a member live although that member, read now, reports
    /// itself out of any group (a view can even list its owner twice): (the view's owner, the
    /// row).
    pub fn stale_rows(&self) -> Vec<(&Node<'a>, &'a ViewMember)> {
        let mut rows = Vec::new();
        for holder in &self.nodes {
            let Some(report) = holder.report else {
                continue;
            };
            for row in report.view.iter().filter(|row| row.state.is_live()) {
                let contradicted = self
                    .by_uuid
                    .get(&row.member_id.to_ascii_lowercase())
                    .is_some_and(|&i| self.nodes[i].own_state().is_some_and(|s| !s.is_live()));
                if contradicted {
                    rows.push((holder, row));
                }
            }
        }
        rows
    }

    /// Strict majority of the inventory.
    pub fn majority(&self) -> u32 {
        count(self.nodes.iter()) / 2 + 1
    }
}

/// How much taking a member out costs a view that lists it in `state`: an ONLINE member is
/// counted and online, a RECOVERING or OFFLINE (joining) one counted and reachable, an
/// UNREACHABLE one only counted, an ERROR one nothing.
pub(crate) fn removal_cost(state: MemberState) -> u8 {
    match state {
        MemberState::Online => 3,
        MemberState::Recovering | MemberState::Offline => 2,
        MemberState::Unreachable => 1,
        MemberState::Error => 0,
    }
}

fn ok_status(online: u32, members: usize) -> ClusterStatus {
    let tolerant = online >= 3;
    let complete = usize::try_from(online).is_ok_and(|o| o >= members);
    match (complete, tolerant) {
        (true, true) => ClusterStatus::Ok,
        (true, false) => ClusterStatus::OkNoTolerance,
        (false, true) => ClusterStatus::OkPartial,
        (false, false) => ClusterStatus::OkNoTolerancePartial,
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
        // mutants: equivalent because `a * 1` only adds the pair (a, a): joining a member's
        // component with itself changes nothing.
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

/// Two live members whose views share no member at all, not even as UNREACHABLE: the two sides
/// of a partition always list each other, so these are two groups bootstrapped apart.
fn second_group(nodes: &[Node<'_>]) -> bool {
    let views: Vec<BTreeSet<String>> = nodes
        .iter()
        .filter(|n| n.own_state().is_some_and(MemberState::is_live))
        .filter_map(|n| {
            let ids = n.report?.view.iter();
            Some(ids.map(|r| r.member_id.to_ascii_lowercase()).collect())
        })
        .collect();
    // mutants: equivalent because `i * 1` only adds each view compared with itself, and a live
    // member's view is never empty (its state is its own row's), so never disjoint from itself.
    views
        .iter()
        .enumerate()
        .any(|(i, mine)| views[i + 1..].iter().any(|theirs| mine.is_disjoint(theirs)))
}

/// `db1, db2` in inventory order, for messages.
pub(crate) fn names(nodes: &[&Node<'_>]) -> String {
    nodes.iter().map(|n| n.id).collect::<Vec<_>>().join(", ")
}

/// Counts items as u32 (at most 9 members; saturates instead of panicking).
pub(crate) fn count<T>(items: impl Iterator<Item = T>) -> u32 {
    u32::try_from(items.count()).unwrap_or(u32::MAX)
}
