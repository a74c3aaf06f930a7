//! Changing a member's Group Replication state: [`MemberControl`] calls the RDS Group
//! Replication procedures on it, each one constant statement ([`Procedure`]). Reading a member
//! is [`MemberProbe`](crate::ports::member_probe::MemberProbe); the in-memory implementation of
//! both is [`MemoryMembers`](crate::ports::member_probe::MemoryMembers), the MySQL one is
//! `adapters::mysql`.

use std::fmt;
use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::model::{Endpoint, ProbeError};

/// `CALL mysql.rds_group_replication_start(0)`: join the group through the seeds.
pub const CALL_START_JOIN: &str = "CALL mysql.rds_group_replication_start(0)";
/// `CALL mysql.rds_group_replication_start(1)`: create a new group with this member.
pub const CALL_START_BOOTSTRAP: &str = "CALL mysql.rds_group_replication_start(1)";
/// `CALL mysql.rds_group_replication_stop()`: leave the group (the member stays super-read-only).
pub const CALL_STOP: &str = "CALL mysql.rds_group_replication_stop()";

/// The RDS Group Replication procedures grkeeper calls. Each maps to one constant statement:
/// nothing from an event ever reaches SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Procedure {
    /// [`CALL_START_JOIN`].
    StartJoin,
    /// [`CALL_START_BOOTSTRAP`].
    StartBootstrap,
    /// [`CALL_STOP`].
    Stop,
}

impl Procedure {
    /// The exact statement.
    pub fn statement(self) -> &'static str {
        match self {
            Procedure::StartJoin => CALL_START_JOIN,
            Procedure::StartBootstrap => CALL_START_BOOTSTRAP,
            Procedure::Stop => CALL_STOP,
        }
    }
}

impl fmt::Display for Procedure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.statement())
    }
}

/// What a procedure answered. Advisory only: the verification observation decides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcedureReply {
    /// The message row (`... started successfully`, `... might have encountered an error`).
    pub message: Option<String>,
}

/// Why a procedure call did not answer normally; says whether the statement may have run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No connection: the statement was never sent.
    #[error("not sent: {0}")]
    NotSent(ProbeError),
    /// The server answered with an error (e.g. 3092 from `START GROUP_REPLICATION`).
    #[error("rejected: {0}")]
    Rejected(ProbeError),
    /// Sent, but no answer (timeout, connection lost): it may or may not have run.
    #[error("no answer: {0}")]
    Unanswered(ProbeError),
}

impl CallError {
    /// The underlying error.
    pub fn probe_error(&self) -> &ProbeError {
        match self {
            CallError::NotSent(e) | CallError::Rejected(e) | CallError::Unanswered(e) => e,
        }
    }
}

/// Changes one member's Group Replication state.
pub trait MemberControl: Send + Sync {
    /// Calls `procedure` once, drains every result set, and returns its message. Never retried:
    /// the statement may have run even when the answer was lost.
    fn call(
        &self,
        endpoint: &Endpoint,
        procedure: Procedure,
    ) -> impl Future<Output = Result<ProcedureReply, CallError>> + Send;
}
