//! The server process and its RDS instance: crash, clean shutdown, boot, and the timed
//! reboot / stop / start / upgrade transitions RDS shows as instance statuses.

use std::time::Duration;

use crate::model::World;
use crate::model::errlog;
use crate::model::member::{Gr, RESTARTED, Retry};
use crate::rds::{InstanceStatus, RdsError, RdsEvent};
use crate::version::Version;

/// RDS's event as it takes an instance down.
const SHUTDOWN: (&str, &str) = ("RDS-EVENT-0004", "DB instance shutdown");

impl World {
    /// mysqld dies without a word: peers lose contact, connections drop.
    pub fn crash(&mut self, m: usize) {
        let member = &mut self.members[m];
        if !member.up {
            return;
        }
        member.up = false;
        member.boot += 1;
        member.gr = Gr::Offline;
        member.boot_join = None;
        self.touch();
    }

    /// mysqld shuts down cleanly: GR leaves the group first (peers remove it at once).
    pub fn shutdown(&mut self, m: usize) {
        if !self.members[m].up {
            return;
        }
        self.stop_gr(m);
        if self.members[m].is_leaving() {
            // The model does not stretch a shutdown by the leave's wait for a view (MySQL waits
            // up to its timeout first): the server goes, its peers will suspect it.
            self.complete_leave(m, false);
        }
        let now = self.now;
        let member = &mut self.members[m];
        let version = member.version.to_string();
        member.log(now, errlog::shutdown_complete(&version));
        member.up = false;
        member.boot += 1;
        self.touch();
    }

    /// mysqld starts: GR not running, super-read-only (RDS keeps GR members so until they
    /// join), and GR starts by itself when the member is configured to.
    pub fn boot(&mut self, m: usize) {
        let now = self.now;
        let member = &mut self.members[m];
        if let Some(version) = member.next_version.take() {
            member.version = version;
        }
        member.up = true;
        member.boot += 1;
        member.gr = Gr::Offline;
        member.offline_mode = false;
        member.offline_reason = None;
        member.recovery_error = None;
        member.set_super_read_only(member.cfg.gr_enabled);
        member.boot_join = (member.cfg.gr_enabled && member.cfg.start_on_boot).then_some(Retry {
            attempt: 1,
            next_at: now,
        });
        self.log_boot(m);
        self.touch();
    }

    pub(crate) fn log_boot(&mut self, m: usize) {
        let now = self.now;
        let member = &mut self.members[m];
        let version = member.version.to_string();
        member.log(now, errlog::starting(&version));
        member.log(now, errlog::ready(&version));
    }

    /// RebootDBInstance: `rebooting`, down for `lasts` (`Timing::reboot` unless RDS takes
    /// longer or shorter this time), then `available`.
    pub fn reboot_instance(&mut self, m: usize, lasts: Option<Duration>) -> Result<(), RdsError> {
        let lasts = lasts.unwrap_or(self.timing.reboot);
        self.begin_transition(m, InstanceStatus::Rebooting, lasts, &[SHUTDOWN], RESTARTED)
    }

    /// StopDBInstance: `stopping`, then `stopped` until started again.
    pub fn stop_instance(&mut self, m: usize) -> Result<(), RdsError> {
        let stopped = ("RDS-EVENT-0087", "DB instance stopped");
        self.begin_transition(
            m,
            InstanceStatus::Stopping,
            self.timing.stop,
            &[SHUTDOWN],
            stopped,
        )
    }

    /// A minor version upgrade: `upgrading` for the reboot time, then up on `version`.
    pub fn upgrade_instance(&mut self, m: usize, version: Version) -> Result<(), RdsError> {
        let lasts = self.timing.reboot;
        self.begin_transition(m, InstanceStatus::Upgrading, lasts, &[SHUTDOWN], RESTARTED)?;
        self.members[m].next_version = Some(version);
        Ok(())
    }

    /// ApplyPendingMaintenanceAction of `action` with `opt_in`. `immediate` takes the instance
    /// down as a reboot does (`upgrading` for a `db-upgrade`, which brings mysqld back on the
    /// action's version; `maintenance` for anything else) and clears the action; `next-maintenance`
    /// and `undo-opt-in` only set or clear the action's opt-in status.
    pub fn apply_maintenance(
        &mut self,
        m: usize,
        action: &str,
        opt_in: &str,
    ) -> Result<(), RdsError> {
        let name = self.members[m].name.clone();
        // `None`: apply now; `Some(status)`: only set the action's opt-in status.
        let opting: Option<Option<&str>> = match opt_in {
            "immediate" => None,
            "next-maintenance" => Some(Some("next-maintenance")),
            "undo-opt-in" => Some(None),
            other => return Err(RdsError::InvalidOptIn(other.to_string())),
        };
        let pending = &mut self.members[m].pending_maintenance;
        let Some(index) = pending.iter().position(|p| p.action == action) else {
            return Err(RdsError::NoPendingAction {
                id: name,
                action: action.to_string(),
            });
        };
        if let Some(status) = opting {
            pending[index].opt_in_status = status.map(str::to_string);
            self.touch();
            return Ok(());
        }
        let (status, starts, ends): (_, &[(&str, &str)], _) = match action {
            "db-upgrade" => (
                InstanceStatus::Upgrading,
                &[
                    (
                        "RDS-EVENT-0266",
                        "The downtime started for the DB instance upgrade",
                    ),
                    ("RDS-EVENT-0267", "The engine version upgrade started"),
                ],
                ("RDS-EVENT-0268", "The engine version upgrade finished"),
            ),
            "system-update" => (
                InstanceStatus::Maintenance,
                &[("RDS-EVENT-0026", "Applying off-line patches to DB instance")],
                (
                    "RDS-EVENT-0027",
                    "Finished applying off-line patches to DB instance",
                ),
            ),
            _ => (InstanceStatus::Maintenance, &[SHUTDOWN], RESTARTED),
        };
        self.begin_transition(m, status, self.timing.reboot, starts, ends)?;
        let applied = self.members[m].pending_maintenance.remove(index);
        self.members[m].next_version = applied.upgrade_to;
        Ok(())
    }

    /// StartDBInstance: only from `stopped`; `starting`, then `available`.
    pub fn start_instance(&mut self, m: usize) -> Result<(), RdsError> {
        let status = self.members[m].instance.status;
        if status != InstanceStatus::Stopped {
            return Err(RdsError::invalid_state(
                &self.members[m].name,
                status,
                "stopped",
            ));
        }
        self.members[m].instance.ends_with = ("RDS-EVENT-0088", "DB instance started");
        let until = (!self.members[m].instance.stays_down).then(|| self.now + self.timing.start);
        self.set_instance(m, InstanceStatus::Starting, until);
        Ok(())
    }

    /// Starts a transition that is allowed only from `available` and shuts mysqld down: RDS
    /// emits `starts` now and `ends` when it is over. An instance a test keeps down
    /// ([`Rds::stays_down`](crate::Rds::stays_down)) never ends it.
    fn begin_transition(
        &mut self,
        m: usize,
        status: InstanceStatus,
        lasts: Duration,
        starts: &[(&'static str, &'static str)],
        ends: (&'static str, &'static str),
    ) -> Result<(), RdsError> {
        let current = self.members[m].instance.status;
        if current != InstanceStatus::Available {
            return Err(RdsError::invalid_state(
                &self.members[m].name,
                current,
                "available",
            ));
        }
        self.shutdown(m);
        for (id, message) in starts {
            self.event(m, id, message);
        }
        self.members[m].instance.ends_with = ends;
        let until = (!self.members[m].instance.stays_down).then(|| self.now + lasts);
        self.set_instance(m, status, until);
        Ok(())
    }

    /// Keeps the instance's restarts from ending (`on`), or lets the one under way end now.
    pub fn stay_down(&mut self, m: usize, on: bool) {
        let instance = &mut self.members[m].instance;
        instance.stays_down = on;
        if on {
            instance.until = None;
        } else if instance.until.is_none() && instance.status.is_restarting() {
            instance.until = Some(self.now);
        }
        self.touch();
    }

    fn set_instance(
        &mut self,
        m: usize,
        status: InstanceStatus,
        until: Option<std::time::Duration>,
    ) {
        self.members[m].instance.status = status;
        self.members[m].instance.until = until;
        self.touch();
    }

    /// Ends the transitions whose time has come.
    pub(crate) fn finish_instance_transitions(&mut self) {
        for m in 0..self.members.len() {
            let instance = self.members[m].instance;
            if instance.until.is_none_or(|t| t > self.now) {
                continue;
            }
            let (id, message) = instance.ends_with;
            match instance.status {
                InstanceStatus::Stopping => self.set_instance(m, InstanceStatus::Stopped, None),
                _ => {
                    self.boot(m);
                    // The restart applies what the parameter group held for it.
                    self.members[m].instance.parameters_pending_reboot = false;
                    self.set_instance(m, InstanceStatus::Available, None);
                }
            }
            self.event(m, id, message);
        }
    }

    fn event(&mut self, m: usize, id: &'static str, message: &str) {
        self.rds_events.push(RdsEvent {
            at: self.now,
            instance: self.members[m].name.clone(),
            event_id: id.to_string(),
            message: message.to_string(),
        });
    }
}
