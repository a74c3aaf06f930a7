//! Entering a group and leaving it on purpose: START/STOP GROUP_REPLICATION, the joiner's checks
//! (seeds, errant GTIDs, versions, purged binlogs, credentials) and distributed recovery.

use crate::errors::SqlError;
use crate::gtid::GtidSet;
use crate::model::World;
use crate::model::errlog;
use crate::model::leave::Leave;
use crate::model::member::{Active, Gr, Phase, RecoveryFailure, View};
use crate::version::{Compatibility, Version};

/// Why a join attempt did not make the member a group member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinError {
    /// No group name configured.
    NotConfigured,
    /// Refused by the compatibility checks (errant GTIDs, lower version): not retried.
    Incompatible,
    /// No seed answered as an ONLINE member of a group with our name.
    NoGroup,
    /// A seed answered, but its group cannot install a view with the joiner (a member under
    /// suspicion, or no majority): START waits for the view, then gives up with 3092
    /// (`gr_join_with_suspect_member`).
    ViewTimeout,
    /// The group still lists this member's previous incarnation.
    OldIncarnation,
}

impl JoinError {
    /// The error START GROUP_REPLICATION returns.
    pub fn sql(self) -> SqlError {
        match self {
            // A seed answered but no view came: the old incarnation still listed
            // (gr_suspect_member_resumes_after_crash_mysql) or no view can be installed
            // (gr_join_with_suspect_member) ends like a refused configuration.
            JoinError::NotConfigured
            | JoinError::Incompatible
            | JoinError::ViewTimeout
            | JoinError::OldIncarnation => SqlError::gr_configuration(),
            JoinError::NoGroup => SqlError::gr_join_failed(),
        }
    }

    /// Worth trying again later (the group may become reachable).
    pub(crate) fn transient(self) -> bool {
        matches!(
            self,
            JoinError::NoGroup | JoinError::OldIncarnation | JoinError::ViewTimeout
        )
    }
}

impl World {
    /// START GROUP_REPLICATION, with `group_replication_bootstrap_group` = `bootstrap`.
    pub fn start_gr(&mut self, m: usize, bootstrap: bool) -> Result<(), SqlError> {
        if !self.members[m].cfg.gr_enabled {
            return Err(SqlError::signal(
                1524,
                "HY000",
                "Plugin 'group_replication' is not loaded",
            ));
        }
        if !matches!(self.members[m].gr, Gr::Offline) {
            return Err(SqlError::gr_running());
        }
        self.members[m].boot_join = None;
        self.members[m].applier_channel = true;
        self.members[m].log(self.now, errlog::plugin_starting());
        let result = if bootstrap {
            self.bootstrap(m)
        } else {
            self.join(m)
        };
        self.touch();
        result.map_err(|e| {
            self.log_join_failure(m, e);
            e.sql()
        })
    }

    /// Creates a new group with `m` alone in it, whatever else exists (split brain if misused).
    fn bootstrap(&mut self, m: usize) -> Result<(), JoinError> {
        if self.members[m].cfg.group_name.is_empty() {
            return Err(JoinError::NotConfigured);
        }
        self.members[m].apply_received();
        let incarnation = self.next_incarnation;
        self.next_incarnation += 1;
        self.next_membership += 1;
        let tag = u64::try_from(self.wall_micros(self.now) / 100).unwrap_or(0) + incarnation;
        let view = View {
            tag,
            number: 1,
            members: vec![m],
        };
        let line = errlog::view_changed(&self.address(m), &view.id());
        let member = &mut self.members[m];
        member.gr = Gr::Active(Active {
            incarnation,
            membership: self.next_membership,
            view,
            phase: Phase::Online,
            majority_lost_at: None,
            majority_loss_logged: false,
            leaving_since: None,
        });
        member.log(self.now, line);
        member.log(self.now, errlog::declared_online_self());
        self.record_bootstrap(m, incarnation);
        self.apply_version_rule(&[m]);
        Ok(())
    }

    /// Joins the group found through the seeds; the member is RECOVERING on success.
    pub(crate) fn join(&mut self, m: usize) -> Result<(), JoinError> {
        if self.members[m].cfg.group_name.is_empty() {
            return Err(JoinError::NotConfigured);
        }
        // The applier channel starts first and applies what the member queued in the group
        // before (MySQL checks a joiner's executed and received transactions alike).
        self.members[m].apply_received();
        let comp = self.find_group(m)?;
        let view = self.view_of(&comp).cloned().ok_or(JoinError::NoGroup)?;
        if view.members.contains(&m) {
            return Err(JoinError::OldIncarnation);
        }
        let uuid = self.members[m].uuid.clone();
        if view.members.iter().any(|&t| self.members[t].uuid == uuid) {
            self.members[m].log(self.now, errlog::duplicate_uuid(&uuid));
            return Err(JoinError::Incompatible);
        }
        if !self.can_reconfigure(&comp) {
            return Err(JoinError::ViewTimeout);
        }
        let group: Vec<Version> = view
            .members
            .iter()
            .map(|&t| self.members[t].version)
            .collect();
        let compatibility = self.members[m].version.compatibility(&group);
        if compatibility == Compatibility::LowerVersion {
            self.members[m].log(self.now, errlog::version_incompatible());
            return Err(JoinError::Incompatible);
        }
        let (donors, mut group) = self.online_holdings(&comp);
        for &t in &comp {
            group.union_with(&self.members[t].received);
        }
        let local = self.members[m].executed.clone();
        if !local.is_subset_of(&group) {
            let line = errlog::errant_transactions(&local.to_string(), &group.to_string());
            self.members[m].log(self.now, line);
            self.members[m].log(self.now, errlog::errant_exit());
            return Err(JoinError::Incompatible);
        }
        let missing = self.recoverable(&donors).subtract(&local);
        let failure = self.recovery_failure(m, &donors, &missing);
        let until = self.now
            + self.timing.recovery_base
            + match failure {
                Some(_) => std::time::Duration::ZERO,
                None => self.timing.recovery_per_transaction * missing_count(&missing),
            };
        let incarnation = self.members[comp[0]]
            .active()
            .map(|a| a.incarnation)
            .ok_or(JoinError::NoGroup)?;
        self.next_membership += 1;
        self.members[m].gr = Gr::Active(Active {
            incarnation,
            membership: self.next_membership,
            view: view.clone(),
            phase: Phase::Recovering {
                until,
                failure,
                donor_attempts: 0,
            },
            majority_lost_at: None,
            majority_loss_logged: false,
            leaving_since: None,
        });
        self.members[m].recovery_error = None;
        let joined = errlog::members_joined(&self.address(m));
        for &t in &comp {
            self.members[t].log(self.now, joined.clone());
        }
        let mut members = view.members;
        members.push(m);
        let mut with_joiner = comp;
        with_joiner.push(m);
        self.install_view(&with_joiner, members);
        if compatibility == Compatibility::ReadCompatible {
            self.members[m].log(self.now, errlog::version_read_compatible());
        }
        self.members[m].log(self.now, errlog::recovery_from_donor());
        Ok(())
    }

    /// The ONLINE members of a component (a joiner's donors) and every transaction they hold.
    pub(crate) fn online_holdings(&self, comp: &[usize]) -> (Vec<usize>, GtidSet) {
        let donors: Vec<usize> = comp
            .iter()
            .copied()
            .filter(|&d| self.members[d].is_online())
            .collect();
        let mut group = GtidSet::new();
        for &d in &donors {
            group.union_with(&self.members[d].executed);
        }
        (donors, group)
    }

    /// What distributed recovery can bring a joiner from `donors`: what their binary logs hold,
    /// so not `advance_gtid`'s placeholders (committed with binary logging off).
    pub(crate) fn recoverable(&self, donors: &[usize]) -> GtidSet {
        let mut logged = GtidSet::new();
        for &d in donors {
            logged.union_with(&self.members[d].executed.subtract(&self.members[d].unlogged));
        }
        logged
    }

    /// The component of the first seed that is an ONLINE member of a group with our name.
    fn find_group(&self, m: usize) -> Result<Vec<usize>, JoinError> {
        let name = &self.members[m].cfg.group_name;
        let seeds = self.members[m].cfg.seeds.split(',').filter_map(|seed| {
            let host = seed.trim().split(':').next().unwrap_or("");
            self.members.iter().position(|x| x.endpoint == host)
        });
        for s in seeds {
            if s != m
                && self.net_link(m, s)
                && self.members[s].is_online()
                && self.members[s].cfg.group_name == *name
            {
                return Ok(self.component(s));
            }
        }
        Err(JoinError::NoGroup)
    }

    /// Whether a donor can serve the joiner now: one that holds what it lacks and accepts its
    /// recovery channel's login. None when one can (or nothing is missing).
    fn recovery_failure(
        &self,
        m: usize,
        donors: &[usize],
        missing: &GtidSet,
    ) -> Option<RecoveryFailure> {
        let channel = self.members[m].recovery_channel.as_ref();
        let holders: Vec<usize> = donors
            .iter()
            .copied()
            .filter(|&d| !missing.intersects(&self.members[d].purged))
            .collect();
        if holders.is_empty() && !missing.is_empty() {
            return Some(RecoveryFailure::Purged);
        }
        let candidates = if missing.is_empty() { donors } else { &holders };
        let can_log_in = candidates
            .iter()
            .any(|&d| channel.is_some() && self.members[d].repl_user.as_ref() == channel);
        (!can_log_in).then_some(RecoveryFailure::Credentials)
    }

    pub(crate) fn log_join_failure(&mut self, m: usize, error: JoinError) {
        let lines = match error {
            JoinError::NoGroup => vec![errlog::join_failed_no_peers(), errlog::join_view_timeout()],
            JoinError::ViewTimeout => vec![errlog::join_view_timeout()],
            JoinError::OldIncarnation => {
                let endpoint = self.members[m].endpoint.clone();
                vec![
                    errlog::old_incarnation(&endpoint),
                    errlog::join_view_timeout(),
                ]
            }
            JoinError::NotConfigured | JoinError::Incompatible => Vec::new(),
        };
        for line in lines {
            self.members[m].log(self.now, line);
        }
    }

    /// STOP GROUP_REPLICATION: a voluntary leave. The member turns super-read-only at once and
    /// leaves when its group can install a view without it: at once, unless a peer is out of
    /// contact (docs/group-replication.md: no leave while a member is under suspicion); then the
    /// leave waits (`finish_leaves`). In a minority no view can change either way, so the member
    /// goes at once and its peers will suspect it.
    pub fn stop_gr(&mut self, m: usize) {
        if matches!(self.members[m].gr, Gr::Offline) || self.members[m].is_leaving() {
            return;
        }
        let now = self.now;
        let member = &mut self.members[m];
        member.log(now, errlog::plugin_stopping());
        if !member.super_read_only {
            member.set_super_read_only(true);
            member.log(now, errlog::super_read_only(true));
        }
        let comp = self.component(m);
        let waits = self.has_majority(&comp) && !self.can_reconfigure(&comp);
        match self.members[m].active_mut() {
            Some(active) if waits => {
                active.leaving_since = Some(now);
                self.touch();
            }
            _ => self.complete_leave(m, true),
        }
    }

    /// Ends a leave. With `view` the rest of the group installs a view without the member;
    /// without (the wait timed out, or the server goes down) the member just goes and its peers
    /// will suspect it.
    pub(crate) fn complete_leave(&mut self, m: usize, view: bool) {
        if view {
            self.leave_view(m);
        }
        let now = self.now;
        let member = &mut self.members[m];
        member.gr = Gr::Offline;
        member.boot_join = None;
        member.log(now, errlog::left_group());
        member.log(now, errlog::plugin_stopped());
        self.touch();
    }

    /// Leaves waiting for a view: done once the group can reconfigure; after
    /// `Timing::view_change_timeout` the member stops without the view, as the plugin does.
    pub(crate) fn finish_leaves(&mut self) {
        for m in 0..self.members.len() {
            let Some(since) = self.members[m].active().and_then(|a| a.leaving_since) else {
                continue;
            };
            if self.can_reconfigure(&self.component(m)) {
                self.complete_leave(m, true);
            } else if since + self.timing.view_change_timeout <= self.now {
                self.members[m].log(self.now, errlog::leave_view_timeout());
                self.complete_leave(m, false);
            }
        }
    }

    /// A member leaving by message: the rest of its component install a view without it.
    pub(crate) fn leave_view(&mut self, m: usize) {
        let comp = self.component(m);
        if comp.len() < 2 || !self.has_majority(&comp) {
            return;
        }
        let Some(view) = self.view_of(&comp).cloned() else {
            return;
        };
        let others: Vec<usize> = comp.iter().copied().filter(|&t| t != m).collect();
        let removed = errlog::members_removed(&self.address(m));
        for &t in &others {
            self.members[t].log(self.now, removed.clone());
        }
        let kept = view.members.into_iter().filter(|&t| t != m).collect();
        self.install_view(&others, kept);
    }

    /// Ends distributed recovery whose time has come: ONLINE, or another look at the donors
    /// when none could serve the joiner, or ERROR once no donor ever can or the retries are spent.
    pub(crate) fn finish_recoveries(&mut self) {
        for m in 0..self.members.len() {
            // A member waiting to leave no longer recovers.
            let due = match self.members[m].in_group().map(|a| &a.phase) {
                Some(Phase::Recovering {
                    until,
                    failure,
                    donor_attempts,
                }) if *until <= self.now => Some((*failure, *donor_attempts)),
                _ => None,
            };
            match due {
                // Every donor left while it recovered: it cannot have the group's transactions,
                // so it must not turn ONLINE (it would issue their GTIDs again); it looks for a
                // donor again and, finding none, fails like a refused login (MySQL retries
                // `group_replication_recovery_retry_count` times, then ERROR).
                Some((None, attempts)) if self.online_holdings(&self.component(m)).0.is_empty() => {
                    self.retry_donors(m, attempts)
                }
                Some((None, _)) => self.finish_recovery(m),
                Some((Some(RecoveryFailure::Purged), _)) => {
                    self.leave_involuntarily(m, Leave::RecoveryFailed(RecoveryFailure::Purged));
                }
                Some((Some(RecoveryFailure::Credentials), attempts)) => {
                    self.retry_donors(m, attempts)
                }
                None => {}
            }
        }
    }

    /// The joiner tried every donor once more (each try counts against
    /// `group_replication_recovery_retry_count`); after a failed round it waits the reconnect
    /// interval (`gr_recovery_purged_donor_failover`: it stays RECOVERING, and a donor fixed
    /// meanwhile lets it finish).
    fn retry_donors(&mut self, m: usize, attempts: u32) {
        let (donors, _) = self.online_holdings(&self.component(m));
        let missing = self
            .recoverable(&donors)
            .subtract(&self.members[m].executed);
        let failure = self.recovery_failure(m, &donors, &missing);
        let attempts = attempts + u32::try_from(donors.len().max(1)).unwrap_or(u32::MAX);
        let until = match failure {
            None => self.now + self.timing.recovery_per_transaction * missing_count(&missing),
            Some(RecoveryFailure::Credentials) if attempts < self.timing.recovery_retries => {
                self.now + self.timing.recovery_reconnect_interval
            }
            Some(failure) => {
                self.leave_involuntarily(m, Leave::RecoveryFailed(failure));
                return;
            }
        };
        if let Some(active) = self.members[m].active_mut() {
            active.phase = Phase::Recovering {
                until,
                failure,
                donor_attempts: attempts,
            };
        }
        self.touch();
    }

    /// The joiner has applied what the group had: ONLINE, writable unless its version is newer.
    pub fn finish_recovery(&mut self, m: usize) {
        let comp = self.component(m);
        let (donors, _) = self.online_holdings(&comp);
        let group = self.recoverable(&donors);
        let addr = self.address(m);
        let now = self.now;
        let member = &mut self.members[m];
        let Some(active) = member.active_mut() else {
            return;
        };
        active.phase = Phase::Online;
        let view = active.view.members.clone();
        // State transfer from the donors, then what the group certified meanwhile and the
        // member queued (even if every donor that held it has gone since).
        member.remote_applied += group.subtract(&member.executed).count();
        member.executed.union_with(&group);
        member.apply_received();
        member.log(now, errlog::declared_online_self());
        for &t in comp.iter().filter(|&&t| t != m) {
            self.members[t].log(now, errlog::declared_online(&addr));
        }
        self.apply_version_rule(&view);
        self.touch();
    }
}

fn missing_count(missing: &GtidSet) -> u32 {
    u32::try_from(missing.count()).unwrap_or(u32::MAX)
}
