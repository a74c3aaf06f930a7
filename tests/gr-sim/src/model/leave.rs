//! Leaving a group against one's will and coming back: expulsion, majority timeout, failed
//! recovery or applier error put the member in ERROR; then auto-rejoin attempts, or the exit
//! state action; and the join attempts of a member starting GR at boot.

use crate::config::ExitStateAction;
use crate::model::World;
use crate::model::errlog;
use crate::model::member::{ChannelError, ErrorState, Gr, RecoveryFailure, Retry};

/// The reason Group Replication attaches to the `offline_mode` it sets on leaving
/// (`gr_exit_state_action_on_applier_error_offline_mode.result`, 9.x).
const OFFLINE_REASON: &str = "(GR) leave group on failure";

/// What ABORT_SERVER writes when the plugin itself fails.
const FATAL: &str = "Fatal error during execution of Group Replication";

/// Why a member leaves its group without being asked to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Leave {
    /// The majority removed it while it could not be reached.
    Expelled,
    /// It stayed in a minority longer than `unreachable_majority_timeout`.
    MajorityTimeout,
    /// Distributed recovery could not complete.
    RecoveryFailed(RecoveryFailure),
    /// The applier hit an error (a fault injected by the test).
    ApplierError,
}

impl Leave {
    /// What ABORT_SERVER writes for this leave.
    fn abort_reason(self) -> &'static str {
        match self {
            Leave::MajorityTimeout => "This member could not reach a majority of the members.",
            _ => FATAL,
        }
    }
}

impl World {
    /// The member leaves its group on its own: ERROR, super-read-only, then auto-rejoin or the
    /// exit state action.
    pub(crate) fn leave_involuntarily(&mut self, m: usize, why: Leave) {
        if !matches!(self.members[m].gr, Gr::Active(_)) {
            return;
        }
        if self.members[m].is_leaving() {
            // Already stopping on request: the stop ends, no exit action follows.
            self.complete_leave(m, false);
            return;
        }
        let now = self.now;
        let lines = match why {
            Leave::Expelled => vec![errlog::expelled()],
            Leave::MajorityTimeout => Vec::new(),
            Leave::RecoveryFailed(RecoveryFailure::Purged) => {
                self.members[m].recovery_error = Some(purged_channel_error(now));
                vec![errlog::no_donor_has_data(), errlog::recovery_fatal()]
            }
            Leave::RecoveryFailed(RecoveryFailure::Credentials) => {
                let host = self.members[m].hostname.clone();
                self.members[m].recovery_error = Some(credentials_channel_error(&host, now));
                vec![
                    errlog::donor_connection_error(),
                    errlog::donor_retries_exhausted(),
                    errlog::recovery_fatal(),
                ]
            }
            Leave::ApplierError => vec![errlog::applier_aborted()],
        };
        if matches!(why, Leave::RecoveryFailed(_) | Leave::ApplierError) {
            self.leave_view(m);
        }
        let tries = self.members[m].cfg.autorejoin_tries;
        let rejoin = matches!(why, Leave::Expelled | Leave::MajorityTimeout) && tries > 0;
        let member = &mut self.members[m];
        for line in lines {
            member.log(now, line);
        }
        member.gr = Gr::Error(ErrorState {
            rejoin: rejoin.then_some(Retry {
                attempt: 1,
                next_at: now,
            }),
        });
        member.log(now, errlog::read_only_after_error());
        if !member.super_read_only {
            member.set_super_read_only(true);
            member.log(now, errlog::super_read_only(true));
        }
        member.log(now, errlog::left_group());
        if !rejoin {
            self.apply_exit_action(m, why.abort_reason());
        }
        self.touch();
    }

    /// `group_replication_exit_state_action`, once no rejoin is left to try; `reason` is what an
    /// ABORT_SERVER writes before the server goes.
    fn apply_exit_action(&mut self, m: usize, reason: &str) {
        use crate::config::ExitStateAction::*;
        match self.members[m].cfg.exit_state_action {
            ReadOnly => {}
            OfflineMode => {
                let member = &mut self.members[m];
                member.offline_mode = true;
                member.offline_reason = Some((self.now, OFFLINE_REASON.to_string()));
                member.log(self.now, errlog::offline_after_error());
            }
            AbortServer => {
                self.members[m].log(self.now, errlog::abort_server(reason));
                self.crash(m);
            }
        }
        self.touch();
    }

    /// Auto-rejoin attempts of expelled members and GR start attempts of booting members.
    pub(crate) fn run_rejoins(&mut self) {
        for m in 0..self.members.len() {
            let member = &self.members[m];
            if !member.up {
                continue;
            }
            if let Gr::Error(ErrorState {
                rejoin: Some(retry),
            }) = member.gr
                && retry.next_at <= self.now
            {
                self.auto_rejoin(m, retry);
            } else if let Some(retry) = member.boot_join
                && retry.next_at <= self.now
                && matches!(member.gr, Gr::Offline)
            {
                self.boot_join(m, retry);
            }
        }
    }

    fn auto_rejoin(&mut self, m: usize, retry: Retry) {
        let tries = self.members[m].cfg.autorejoin_tries;
        let line = errlog::autorejoin_attempt(retry.attempt, tries);
        self.members[m].log(self.now, line);
        self.touch();
        match self.join(m) {
            Ok(()) => {
                let line = errlog::autorejoin_finished(retry.attempt, tries, true);
                self.members[m].log(self.now, line);
            }
            Err(error) => {
                self.log_join_failure(m, error);
                let next = (retry.attempt < tries).then(|| Retry {
                    attempt: retry.attempt + 1,
                    next_at: self.now + self.timing.autorejoin_interval,
                });
                self.members[m].gr = Gr::Error(ErrorState { rejoin: next });
                if next.is_none() {
                    let line = errlog::autorejoin_finished(retry.attempt, tries, false);
                    self.members[m].log(self.now, line);
                    let reason =
                        format!("Could not rejoin the member to the group after {tries} attempts");
                    self.apply_exit_action(m, &reason);
                }
            }
        }
    }

    fn boot_join(&mut self, m: usize, retry: Retry) {
        self.members[m].boot_join = None;
        self.members[m].applier_channel = true;
        if retry.attempt == 1 {
            self.members[m].log(self.now, errlog::plugin_starting());
        }
        self.touch();
        if let Err(error) = self.join(m) {
            self.log_join_failure(m, error);
            if error.transient() && retry.attempt < self.timing.join_attempts {
                self.members[m].boot_join = Some(Retry {
                    attempt: retry.attempt + 1,
                    next_at: self.now + self.timing.join_retry_interval,
                });
            } else if self.members[m].cfg.exit_state_action == ExitStateAction::AbortServer {
                // A start at boot that fails aborts the server with ABORT_SERVER; READ_ONLY and
                // OFFLINE_MODE leave it OFFLINE, super_read_only and offline_mode untouched
                // (gr_exit_state_action_on_join_transaction_mismatch and its _offline_mode twin).
                self.members[m].log(self.now, errlog::abort_server(FATAL));
                self.crash(m);
            }
        }
    }
}

fn purged_channel_error(at: std::time::Duration) -> ChannelError {
    ChannelError {
        number: 13114,
        message: "Got fatal error 1236 from source when reading data from binary log: 'Cannot \
                  replicate because the source purged required binary logs. Replicate the missing \
                  transactions from elsewhere, or provision a new replica from backup. Consider \
                  increasing the source's binary log expiration period.'"
            .to_string(),
        at,
    }
}

fn credentials_channel_error(host: &str, at: std::time::Duration) -> ChannelError {
    ChannelError {
        number: 1045,
        message: format!(
            "error connecting to source 'rdsgrprepladmin@{host}:3306' - retry-time: 60 retries: \
             10 message: Access denied for user 'rdsgrprepladmin'@'{host}' (using password: YES)"
        ),
        at,
    }
}
