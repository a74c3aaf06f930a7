//! The server process and its RDS instance: crash, clean shutdown, boot, and the timed
//! reboot / stop / start / upgrade transitions RDS shows as instance statuses.

use std::time::Duration;

use crate::model::World;
use crate::model::errlog;
use crate::model::member::{Gr, Retry};
use crate::rds::{InstanceStatus, RdsError, RdsEvent};
use crate::version::Version;

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
        self.begin_transition(m, InstanceStatus::Rebooting, lasts)
    }

    /// StopDBInstance: `stopping`, then `stopped` until started again.
    pub fn stop_instance(&mut self, m: usize) -> Result<(), RdsError> {
        self.begin_transition(m, InstanceStatus::Stopping, self.timing.stop)
    }

    /// A minor version upgrade: `upgrading` for the reboot time, then up on `version`.
    pub fn upgrade_instance(&mut self, m: usize, version: Version) -> Result<(), RdsError> {
        self.begin_transition(m, InstanceStatus::Upgrading, self.timing.reboot)?;
        self.members[m].next_version = Some(version);
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
        self.set_instance(
            m,
            InstanceStatus::Starting,
            Some(self.now + self.timing.start),
        );
        Ok(())
    }

    /// Starts a transition that is allowed only from `available` and shuts mysqld down.
    fn begin_transition(
        &mut self,
        m: usize,
        status: InstanceStatus,
        lasts: std::time::Duration,
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
        self.event(m, "RDS-EVENT-0004", "DB instance shutdown");
        self.set_instance(m, status, Some(self.now + lasts));
        Ok(())
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
            match instance.status {
                InstanceStatus::Stopping => {
                    self.set_instance(m, InstanceStatus::Stopped, None);
                    self.event(m, "RDS-EVENT-0087", "DB instance stopped");
                }
                InstanceStatus::Starting => {
                    self.boot(m);
                    self.set_instance(m, InstanceStatus::Available, None);
                    self.event(m, "RDS-EVENT-0088", "DB instance started");
                }
                _ => {
                    self.boot(m);
                    self.set_instance(m, InstanceStatus::Available, None);
                    self.event(m, "RDS-EVENT-0006", "DB instance restarted");
                }
            }
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
