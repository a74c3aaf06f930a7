//! The playbooks, one per situation (`docs/design.md`, "Playbooks"). Each adds
//! findings and proposes candidate actions; the draft keeps the first that passes every guard.

pub(crate) mod expel;
pub(crate) mod join;
pub(crate) mod outage;
pub(crate) mod reboot;
pub(crate) mod rebootstrap;
pub(crate) mod rejoin;
pub(crate) mod seed;
pub(crate) mod sync;
