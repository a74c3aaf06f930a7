//! Where a member's SQL traffic goes: the RDS endpoint, or a local address from
//! `GRKEEPER_ENDPOINT_OVERRIDES` (local runs against the simulator).

use std::collections::BTreeMap;
use std::fmt;

use super::RdsInstance;

/// A TCP address of a member's MySQL server.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    /// DNS name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl Endpoint {
    /// An endpoint from its parts.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Endpoint {
            host: host.into(),
            port,
        }
    }

    /// Parses `host:port`; `None` when the port is missing or not a port number.
    pub fn parse(text: &str) -> Option<Endpoint> {
        let (host, port) = text.trim().rsplit_once(':')?;
        let port = port.parse::<u16>().ok().filter(|p| *p != 0)?;
        (!host.is_empty()).then(|| Endpoint::new(host, port))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// Instance id -> address that replaces its RDS endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointOverrides(BTreeMap<String, Endpoint>);

impl EndpointOverrides {
    /// Overrides from a map of instance id to address.
    pub fn new(map: BTreeMap<String, Endpoint>) -> Self {
        EndpointOverrides(map)
    }

    /// The overridden addresses, by instance id.
    pub fn as_map(&self) -> &BTreeMap<String, Endpoint> {
        &self.0
    }

    /// Where to send `id`'s SQL traffic: its override, else the endpoint RDS reports.
    pub fn resolve(&self, id: &str, rds: Option<&RdsInstance>) -> Option<Endpoint> {
        if let Some(endpoint) = self.0.get(id) {
            return Some(endpoint.clone());
        }
        let rds = rds?;
        Some(Endpoint::new(
            rds.endpoint.clone()?,
            rds.port.unwrap_or(3306),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::InstanceStatus;

    fn rds(endpoint: Option<&str>, port: Option<u16>) -> RdsInstance {
        RdsInstance {
            status: InstanceStatus("available".into()),
            endpoint: endpoint.map(str::to_owned),
            port,
            engine_version: None,
            parameter_apply_status: None,
            maintenance_window: None,
            auto_minor_version_upgrade: None,
            pending_maintenance: None,
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn host_and_port_parse_and_print_back() {
        let endpoint = Endpoint::parse("127.0.0.1:33061").unwrap();
        assert_eq!(endpoint, Endpoint::new("127.0.0.1", 33061));
        assert_eq!(endpoint.to_string(), "127.0.0.1:33061");
    }

    #[test]
    fn addresses_without_a_valid_port_are_rejected() {
        for bad in [
            "127.0.0.1",
            "127.0.0.1:",
            ":3306",
            "db:0",
            "db:70000",
            "db:x",
        ] {
            assert_eq!(Endpoint::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_override_wins_over_the_rds_endpoint() {
        let overrides = EndpointOverrides::new(BTreeMap::from([(
            "db1".to_owned(),
            Endpoint::new("127.0.0.1", 33061),
        )]));
        let record = rds(Some("db1.x.rds.amazonaws.com"), Some(3306));
        assert_eq!(
            overrides.resolve("db1", Some(&record)),
            Some(Endpoint::new("127.0.0.1", 33061))
        );
        assert_eq!(
            overrides.resolve("db2", Some(&record)),
            Some(Endpoint::new("db1.x.rds.amazonaws.com", 3306))
        );
    }

    #[test]
    fn an_instance_without_endpoint_or_override_has_no_address() {
        let overrides = EndpointOverrides::default();
        assert_eq!(overrides.resolve("db1", Some(&rds(None, None))), None);
        assert_eq!(overrides.resolve("db1", None), None);
    }
}
