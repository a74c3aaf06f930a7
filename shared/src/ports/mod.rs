//! The ports: what a tick needs from the world, one trait per capability, each speaking domain
//! types only, with an in-memory implementation beside it (for tests and the demo). The real
//! implementations are in `adapters`.

pub mod aws;
pub mod journal;
pub mod member_control;
pub mod member_probe;
pub mod notifier;
pub mod rds;
pub mod reboot;
pub mod secrets;
pub mod topology_bus;
