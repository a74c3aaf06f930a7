//! The ports: what a tick needs from the world, one trait per capability, each speaking domain
//! types only, with an in-memory implementation beside it (for tests and the demo). The real
//! implementations are in `adapters`. [`Ports`] names one implementation of each, the set a
//! keeper runs with.

pub mod aws;
pub mod clock;
pub mod dns_zone;
pub mod journal;
pub mod member_control;
pub mod member_probe;
pub mod notifier;
pub mod rds;
pub mod reboot;
pub mod secrets;
pub mod topology_bus;

use clock::Clock;
use dns_zone::DnsZone;
use journal::{Journal, LeaseStore};
use member_control::MemberControl;
use member_probe::MemberProbe;
use notifier::Notifier;
use rds::RdsControl;
use reboot::RdsReboot;
use topology_bus::TopologyBus;

/// The adapters one keeper runs with, as types: AWS and MySQL in a deployment, memory in the
/// tests, the simulator in the demo. The keeper is generic over this one trait.
pub trait Ports {
    /// The RDS API, read and reboot.
    type Rds: RdsControl + RdsReboot;
    /// Member probes and procedure calls.
    type Members: MemberProbe + MemberControl;
    /// Lease, action journal, conditions, incidents.
    type Journal: LeaseStore + Journal;
    /// Alert delivery.
    type Notifier: Notifier;
    /// Topology events.
    type Bus: TopologyBus;
    /// The DNS records applications connect through.
    type Dns: DnsZone;
    /// Time.
    type Clock: Clock;
}
