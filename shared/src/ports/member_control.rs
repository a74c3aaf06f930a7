//! Changing a member's Group Replication state: [`MemberControl`] calls the RDS Group
//! Replication procedures on it, each one constant statement ([`Procedure`]). Reading a member
//! is [`MemberProbe`](crate::ports::member_probe::MemberProbe); the in-memory implementation of
//! both is [`MemoryMembers`](crate::ports::member_probe::MemoryMembers), the MySQL one is
//! `adapters::mysql`.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::model::{Endpoint, ProbeError};
use crate::snapshot::{Placeholders, advance_gtid_call};

/// `CALL mysql.rds_group_replication_start(0)`: join the group through the seeds.
pub const CALL_START_JOIN: &str = "CALL mysql.rds_group_replication_start(0)";
/// `CALL mysql.rds_group_replication_start(1)`: create a new group with this member.
pub const CALL_START_BOOTSTRAP: &str = "CALL mysql.rds_group_replication_start(1)";
/// `CALL mysql.rds_group_replication_stop()`: leave the group (the member stays super-read-only).
pub const CALL_STOP: &str = "CALL mysql.rds_group_replication_stop()";

/// The RDS Group Replication procedures grkeeper calls. Three are constant statements; the
/// fourth takes two numbers and a UUID, held as integers, so nothing but digits and hex reaches
/// SQL, and nothing from an event at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Procedure {
    /// [`CALL_START_JOIN`].
    StartJoin,
    /// [`CALL_START_BOOTSTRAP`].
    StartBootstrap,
    /// [`CALL_STOP`].
    Stop,
    /// `CALL mysql.rds_group_replication_advance_gtid(begin, end, 'uuid')`: empty placeholder
    /// transactions for `uuid:begin-end` on this member only (binary logging off). Its
    /// arguments are `INT UNSIGNED`, hence `u32`.
    AdvanceGtid {
        /// First transaction number.
        begin: u32,
        /// Last transaction number.
        end: u32,
        /// The UUID, as its 128 bits.
        uuid: u128,
    },
}

impl Procedure {
    /// The exact statement.
    pub fn statement(self) -> Cow<'static, str> {
        match self {
            Procedure::StartJoin => Cow::Borrowed(CALL_START_JOIN),
            Procedure::StartBootstrap => Cow::Borrowed(CALL_START_BOOTSTRAP),
            Procedure::Stop => Cow::Borrowed(CALL_STOP),
            Procedure::AdvanceGtid { begin, end, uuid } => Cow::Owned(advance_gtid_call(
                u64::from(begin),
                u64::from(end),
                &uuid_text(uuid),
            )),
        }
    }

    /// The call that creates `placeholders`, or why it cannot be made: numbers outside the
    /// procedure's arguments or in the wrong order, or a UUID that is not one.
    pub fn advance_gtid(placeholders: &Placeholders) -> Result<Procedure, String> {
        let number = |n: u64| {
            u32::try_from(n)
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{n} is outside advance_gtid's range 1..={}", u32::MAX))
        };
        let (begin, end) = (number(placeholders.begin)?, number(placeholders.end)?);
        if begin > end {
            return Err(format!("range {placeholders} ends before it starts"));
        }
        let uuid = uuid_bits(&placeholders.uuid)
            .ok_or_else(|| format!("{:?} is not a UUID", placeholders.uuid))?;
        Ok(Procedure::AdvanceGtid { begin, end, uuid })
    }
}

/// The 128 bits of a UUID written 8-4-4-4-12 in hex (either case).
fn uuid_bits(text: &str) -> Option<u128> {
    let groups: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    if lengths != [8, 4, 4, 4, 12]
        || !groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return None;
    }
    u128::from_str_radix(&groups.concat(), 16).ok()
}

/// A UUID's 128 bits written 8-4-4-4-12 in lowercase hex.
fn uuid_text(bits: u128) -> String {
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl fmt::Display for Procedure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.statement())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(uuid: &str, begin: u64, end: u64) -> Placeholders {
        Placeholders {
            joiner: "db4".into(),
            uuid: uuid.into(),
            begin,
            end,
        }
    }

    const UUID: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

    #[test]
    fn advance_gtid_is_built_from_numbers_and_a_uuid_only() {
        let call =
            Procedure::advance_gtid(&placeholders(&UUID.to_uppercase(), 1, 4_294_967_295)).unwrap();
        assert_eq!(
            call.statement(),
            format!("CALL mysql.rds_group_replication_advance_gtid(1, 4294967295, '{UUID}')")
        );
        for (uuid, begin, end) in [
            ("3e11fa47-71ca-11e1-9e33-c80aa942956", 1, 2),
            (
                "3e11fa47-71ca-11e1-9e33-c80aa9429562'); DROP TABLE t; --",
                1,
                2,
            ),
            ("3e11fa4771ca11e19e33c80aa9429562", 1, 2),
            ("3e11fa47-71ca-11e1-9e33-c80aa942956g", 1, 2),
            (UUID, 0, 2),
            (UUID, 3, 2),
            (UUID, 1, 4_294_967_296),
        ] {
            assert!(
                Procedure::advance_gtid(&placeholders(uuid, begin, end)).is_err(),
                "{uuid} {begin}-{end}"
            );
        }
    }
}
