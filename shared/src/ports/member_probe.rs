//! Reading a member: [`MemberProbe`], everything one member's MySQL server reports about itself
//! and its group, in domain types. [`MemoryMembers`] answers from memory (for tests), and also
//! takes procedure calls ([`MemberControl`](crate::ports::member_control::MemberControl)); the
//! MySQL implementation is `adapters::mysql`.

mod memory;

use std::future::Future;

use crate::model::{Endpoint, MemberReport, ProbeError};

pub use memory::MemoryMembers;

/// Reads one member.
pub trait MemberProbe: Send + Sync {
    /// Everything the member reports about itself and its group. Fails only when the member
    /// cannot be read at all or its identity or group view cannot be read.
    fn probe(
        &self,
        endpoint: &Endpoint,
    ) -> impl Future<Output = Result<MemberReport, ProbeError>> + Send;

    /// The database user the probes and calls log in as, when known: grkeeper's own, so a
    /// `mysql.rds_history` row by this user is grkeeper's call and one by any other a person's.
    fn user(&self) -> Option<String>;
}
