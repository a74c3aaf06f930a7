//! Views, reachability and quorum: who can talk to whom, what each member shows for its peers,
//! when suspicions turn into expulsions, and when a minority blocks.
//!
//! A *component* is the set of group members that share a view and can reach each other; it
//! has a majority when it holds more than half of that view. Only a majority component changes
//! its view (expels, admits joiners); a minority keeps its view, shows the others UNREACHABLE
//! and blocks writes.

use std::collections::BTreeSet;

use crate::model::World;
use crate::model::errlog;
use crate::model::leave::Leave;
use crate::model::member::{Phase, View};
use crate::version::{Compatibility, Version};

impl World {
    /// Both servers run and the network between them works.
    pub fn net_link(&self, a: usize, b: usize) -> bool {
        a != b && self.members[a].up && self.members[b].up && self.sides[a] == self.sides[b]
    }

    /// Both are in the same group incarnation and view, and can talk.
    pub fn gr_link(&self, a: usize, b: usize) -> bool {
        match (self.members[a].active(), self.members[b].active()) {
            (Some(x), Some(y)) => {
                x.incarnation == y.incarnation
                    && x.view.number == y.view.number
                    && self.net_link(a, b)
            }
            _ => false,
        }
    }

    /// The component of group member `m` (sorted, `m` included; empty when `m` is not in a group).
    pub fn component(&self, m: usize) -> Vec<usize> {
        if self.members[m].active().is_none() {
            return Vec::new();
        }
        let mut seen = BTreeSet::from([m]);
        let mut todo = vec![m];
        while let Some(x) = todo.pop() {
            for y in 0..self.members.len() {
                if !seen.contains(&y) && self.gr_link(x, y) {
                    seen.insert(y);
                    todo.push(y);
                }
            }
        }
        seen.into_iter().collect()
    }

    /// Every component, each once.
    pub fn components(&self) -> Vec<Vec<usize>> {
        let mut done = BTreeSet::new();
        let mut out = Vec::new();
        for m in 0..self.members.len() {
            if done.contains(&m) || self.members[m].active().is_none() {
                continue;
            }
            let comp = self.component(m);
            done.extend(comp.iter().copied());
            out.push(comp);
        }
        out
    }

    /// The view a component shares.
    pub fn view_of(&self, comp: &[usize]) -> Option<&View> {
        comp.first()
            .and_then(|&m| self.members[m].active())
            .map(|a| &a.view)
    }

    /// More than half of the component's view can talk: it may commit and reconfigure.
    pub fn has_majority(&self, comp: &[usize]) -> bool {
        self.view_of(comp)
            .is_some_and(|view| comp.len() * 2 > view.members.len())
    }

    /// The component may change its view (admit a joiner, let a member leave): it holds a
    /// majority and reaches every member of its view. GR suspends reconfiguration while a
    /// suspicion is pending; the model also waits through the silence before the suspicion, as it
    /// cannot carry an out-of-contact member across a view change.
    pub fn can_reconfigure(&self, comp: &[usize]) -> bool {
        self.has_majority(comp)
            && self
                .view_of(comp)
                .is_some_and(|view| view.members.iter().all(|t| comp.contains(t)))
    }

    /// When the component first lost contact with `target`.
    pub fn lost_at(&self, comp: &[usize], target: usize) -> Option<std::time::Duration> {
        comp.iter()
            .filter_map(|&o| self.lost_contact.get(&(o, target)).copied())
            .min()
    }

    /// The component's failure detector suspects `target`: peers show it UNREACHABLE.
    pub fn is_suspected(&self, comp: &[usize], target: usize) -> bool {
        self.lost_at(comp, target)
            .is_some_and(|at| at + self.timing.failure_detection <= self.now)
    }

    /// Expel timeout of a component: the lowest `member_expel_timeout` among its members.
    fn expel_timeout(&self, comp: &[usize]) -> std::time::Duration {
        let seconds = comp
            .iter()
            .map(|&m| self.members[m].cfg.member_expel_timeout)
            .min()
            .unwrap_or(5);
        self.timing.gr_second * seconds
    }

    /// Times at which a suspicion starts or an expulsion becomes due.
    pub(crate) fn suspicion_deadlines(&self) -> Vec<std::time::Duration> {
        let detection = self.timing.failure_detection;
        let mut out: Vec<_> = self.lost_contact.values().map(|&t| t + detection).collect();
        for comp in self.components() {
            if !self.has_majority(&comp) {
                continue;
            }
            let expel = self.expel_timeout(&comp);
            let Some(view) = self.view_of(&comp) else {
                continue;
            };
            out.extend(
                view.members
                    .iter()
                    .filter_map(|&t| self.lost_at(&comp, t))
                    .map(|at| at + detection + expel),
            );
        }
        out
    }

    /// A member back in contact with a newer view that no longer lists it learns it was expelled.
    pub(crate) fn learn_expulsions(&mut self) {
        for m in 0..self.members.len() {
            let Some(mine) = self.members[m].active() else {
                continue;
            };
            let expelled = (0..self.members.len()).any(|n| {
                self.net_link(m, n)
                    && self.members[n].active().is_some_and(|theirs| {
                        theirs.incarnation == mine.incarnation
                            && theirs.view.number > mine.view.number
                            && !theirs.view.members.contains(&m)
                    })
            });
            if expelled {
                self.leave_involuntarily(m, Leave::Expelled);
            }
        }
    }

    /// Records when members lose and regain contact with the peers in their view, and logs it.
    pub(crate) fn track_contact(&mut self) {
        let mut lost = Vec::new();
        let mut regained = Vec::new();
        for m in 0..self.members.len() {
            let Some(active) = self.members[m].active() else {
                continue;
            };
            for &t in active.view.members.iter().filter(|&&t| t != m) {
                let linked = self.gr_link(m, t);
                let known = self.lost_contact.contains_key(&(m, t));
                if linked && known {
                    regained.push((m, t));
                } else if !linked && !known {
                    lost.push((m, t));
                }
            }
        }
        let stale: Vec<_> = self
            .lost_contact
            .keys()
            .copied()
            .filter(|&(m, t)| {
                !self.members[m]
                    .active()
                    .is_some_and(|a| a.view.members.contains(&t))
            })
            .collect();
        for pair in stale {
            self.lost_contact.remove(&pair);
            self.suspicions_logged.remove(&pair);
            self.touch();
        }
        for pair in lost {
            self.lost_contact.insert(pair, self.now);
            self.touch();
        }
        for (m, t) in regained {
            self.lost_contact.remove(&(m, t));
            if self.suspicions_logged.remove(&(m, t)) {
                let line = errlog::reachable_again(&self.address(t));
                self.members[m].log(self.now, line);
            }
            self.touch();
        }
        let due: Vec<_> = self
            .lost_contact
            .iter()
            .filter(|&(pair, &at)| {
                at + self.timing.failure_detection <= self.now
                    && !self.suspicions_logged.contains(pair)
            })
            .map(|(&pair, _)| pair)
            .collect();
        for (m, t) in due {
            self.suspicions_logged.insert((m, t));
            let line = errlog::unreachable(&self.address(t));
            self.members[m].log(self.now, line);
            self.touch();
        }
    }

    /// A component that gets its majority back starts its suspicions of the members still
    /// missing over: their expel timeout counts from now, not from when they went silent
    /// (`gr_majority_loss_restored_after_timeout`: a suspicion that timed out without a majority
    /// is discarded, and a new one is created when the majority returns). They stay UNREACHABLE.
    pub(crate) fn renew_suspicions(&mut self) {
        let detection = self.timing.failure_detection;
        let renewed_since = self.now.saturating_sub(detection);
        for comp in self.components() {
            if !self.has_majority(&comp) {
                continue;
            }
            let regained: Vec<usize> = comp
                .iter()
                .copied()
                .filter(|&m| {
                    self.members[m]
                        .active()
                        .is_some_and(|a| a.majority_lost_at.is_some())
                })
                .collect();
            let mut renewed = false;
            for (_, at) in self
                .lost_contact
                .iter_mut()
                .filter(|((o, _), _)| regained.contains(o))
            {
                if *at < renewed_since {
                    *at = renewed_since;
                    renewed = true;
                }
            }
            if renewed {
                self.touch();
            }
        }
    }

    /// A majority removes members it has suspected for longer than the expel timeout.
    pub(crate) fn expel_unreachable(&mut self) {
        for comp in self.components() {
            if !self.has_majority(&comp) {
                continue;
            }
            let deadline = self.timing.failure_detection + self.expel_timeout(&comp);
            let Some(view) = self.view_of(&comp).cloned() else {
                continue;
            };
            let gone: Vec<usize> = view
                .members
                .iter()
                .copied()
                .filter(|&t| {
                    !comp.contains(&t)
                        && self
                            .lost_at(&comp, t)
                            .is_some_and(|at| at + deadline <= self.now)
                })
                .collect();
            if gone.is_empty() {
                continue;
            }
            let removed = gone
                .iter()
                .map(|&t| self.address(t))
                .collect::<Vec<_>>()
                .join(", ");
            for &m in &comp {
                self.members[m].log(self.now, errlog::members_removed(&removed));
            }
            let kept = view
                .members
                .iter()
                .copied()
                .filter(|t| !gone.contains(t))
                .collect();
            self.install_view(&comp, kept);
        }
    }

    /// Notes loss (once a missing peer is suspected) and return of a majority; applies
    /// `unreachable_majority_timeout`.
    pub(crate) fn watch_majority(&mut self) {
        for comp in self.components() {
            let majority = self.has_majority(&comp);
            let view = self.view_of(&comp).cloned();
            let suspects = view.is_some_and(|v| {
                v.members
                    .iter()
                    .any(|&t| !comp.contains(&t) && self.is_suspected(&comp, t))
            });
            for &m in &comp {
                let now = self.now;
                let limit = self.members[m].cfg.unreachable_majority_timeout;
                let timeout = self.timing.gr_second * limit;
                let Some(active) = self.members[m].active_mut() else {
                    continue;
                };
                let mut lines = Vec::new();
                let mut timed_out = false;
                if majority {
                    if active.majority_lost_at.take().is_some() && active.majority_loss_logged {
                        active.majority_loss_logged = false;
                        lines.push(errlog::majority_regained());
                    }
                } else {
                    // The loss counts from the first suspicion (the plugin starts its
                    // unreachable-majority timer when the failure detector reports the peers).
                    if suspects {
                        active.majority_lost_at.get_or_insert(now);
                        if !active.majority_loss_logged {
                            active.majority_loss_logged = true;
                            lines.push(errlog::majority_lost());
                        }
                    }
                    timed_out = limit > 0
                        && active
                            .majority_lost_at
                            .is_some_and(|since| since + timeout <= now);
                }
                let changed = !lines.is_empty() || timed_out;
                for line in lines {
                    self.members[m].log(now, line);
                }
                if timed_out {
                    self.members[m].log(now, errlog::majority_timeout(limit));
                    self.leave_involuntarily(m, Leave::MajorityTimeout);
                }
                if changed {
                    self.touch();
                }
            }
        }
    }

    /// Members of a majority apply each other's transactions (GR delivers every message to all,
    /// and one back from a partition catches up on what it missed): those the group certified,
    /// under its name, that any member holds (executed, or queued while RECOVERING). What a
    /// member executed outside the group (under its own server_uuid, or `advance_gtid`'s
    /// placeholders) stays its own. Every ONLINE member applies them, one waiting to leave too
    /// (it is a member until the view without it); a RECOVERING one gets them by its recovery.
    pub(crate) fn sync_components(&mut self) {
        for comp in self.components() {
            if !self.has_majority(&comp) {
                continue;
            }
            let mut all = crate::gtid::GtidSet::new();
            for &m in &comp {
                let member = &self.members[m];
                all.union_with(&member.known().of_uuid(&member.cfg.group_name));
            }
            let applying: Vec<usize> = comp
                .iter()
                .copied()
                .filter(|&m| {
                    self.members[m]
                        .active()
                        .is_some_and(|a| matches!(a.phase, Phase::Online))
                })
                .collect();
            for &m in &applying {
                let missing = all.subtract(&self.members[m].executed).count();
                if missing > 0 {
                    let member = &mut self.members[m];
                    member.executed.union_with(&all);
                    member.remote_applied += missing;
                    self.touch();
                }
            }
        }
    }

    /// Installs a new view (next number) on the component and on any joiner listed in `members`.
    pub fn install_view(&mut self, comp: &[usize], members: Vec<usize>) {
        let Some(old) = self.view_of(comp).cloned() else {
            return;
        };
        let view = View {
            tag: old.tag,
            number: old.number + 1,
            members,
        };
        let addresses = view
            .members
            .iter()
            .map(|&m| self.address(m))
            .collect::<Vec<_>>()
            .join(", ");
        let line = errlog::view_changed(&addresses, &view.id());
        for &m in comp.iter().filter(|m| view.members.contains(m)) {
            if let Some(active) = self.members[m].active_mut() {
                active.view = view.clone();
            }
            self.members[m].log(self.now, line.clone());
        }
        self.apply_version_rule(&view.members);
        self.touch();
    }

    /// A member newer than the lowest version in its view is super-read-only while ONLINE;
    /// members at the lowest version (or anywhere in a view of one LTS series) are writable.
    pub fn apply_version_rule(&mut self, view: &[usize]) {
        let versions: Vec<Version> = view.iter().map(|&m| self.members[m].version).collect();
        for &m in view {
            let member = &self.members[m];
            if !member.is_online() || !member.up {
                continue;
            }
            let want = member.version.compatibility(&versions) == Compatibility::ReadCompatible;
            if member.super_read_only != want {
                let member = &mut self.members[m];
                member.set_super_read_only(want);
                member.log(self.now, errlog::super_read_only(want));
                self.touch();
            }
        }
    }

    /// `replication_group_members` as member `m` sees it: (member, MEMBER_STATE) per row.
    pub fn view_rows(&self, m: usize) -> Vec<(usize, &'static str)> {
        let member = &self.members[m];
        // Outside a group, and while waiting to leave one, a member lists only itself
        // (ps_information.cc hides the previous membership once the local state is OFFLINE).
        let Some(active) = member.in_group() else {
            return vec![(m, member.state_name())];
        };
        let comp = self.component(m);
        active
            .view
            .members
            .iter()
            .map(|&t| {
                let state = if t == m {
                    member.state_name()
                } else if comp.contains(&t) {
                    // A peer waiting to leave is still a member here until the view says not.
                    self.members[t]
                        .active()
                        .map_or("OFFLINE", |a| a.phase.name())
                } else if self.is_suspected(&comp, t) {
                    "UNREACHABLE"
                } else {
                    match self.members[t].active().map(|a| &a.phase) {
                        Some(Phase::Recovering { .. }) => "RECOVERING",
                        _ => "ONLINE",
                    }
                };
                (t, state)
            })
            .collect()
    }
}
