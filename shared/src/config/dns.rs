//! The `GRKEEPER_DNS_*` variables: the Route 53 hosted zone and the names the tick keeps there
//! for applications (`docs/endpoints.md`).

use super::reader::Reader;
use crate::snapshot::EndpointPolicy;

const ZONE_ID: &str = "GRKEEPER_DNS_ZONE_ID";
const MEMBERS_NAME: &str = "GRKEEPER_DNS_MEMBERS_NAME";
const ACTIVE_NAME: &str = "GRKEEPER_DNS_ACTIVE_NAME";
const TTL: &str = "GRKEEPER_DNS_TTL";
/// Stands for the cluster's name in the record names, so one deployment serves many clusters.
const CLUSTER: &str = "{cluster}";

/// Where and under which names the records are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dns {
    /// The Route 53 hosted zone id (`Z...`).
    pub zone_id: String,
    /// The members name, `{cluster}` standing for the cluster's name.
    pub members_name: String,
    /// The active name, likewise.
    pub active_name: String,
    /// The records' TTL in seconds.
    pub ttl: i64,
}

impl Dns {
    /// The members name of `cluster`, fully qualified (with the final dot Route 53 answers with).
    pub fn members_name(&self, cluster: &str) -> String {
        qualified(&self.members_name.replace(CLUSTER, cluster))
    }

    /// The active name of `cluster`, likewise.
    pub fn active_name(&self, cluster: &str) -> String {
        qualified(&self.active_name.replace(CLUSTER, cluster))
    }
}

fn qualified(name: &str) -> String {
    let name = name.trim().to_ascii_lowercase();
    match name.ends_with('.') {
        true => name,
        false => format!("{name}."),
    }
}

/// The zone and names, when `GRKEEPER_DNS_ZONE_ID` is set; then both names are required.
pub(super) fn read(env: &mut Reader<'_>) -> Option<Dns> {
    let zone_id = env.get(ZONE_ID)?;
    let zone_id = zone_id.trim().trim_start_matches("/hostedzone/").to_owned();
    if zone_id.is_empty() || !zone_id.chars().all(|c| c.is_ascii_alphanumeric()) {
        env.problem(
            ZONE_ID,
            format!("expected a hosted zone id such as Z0123456789ABC, got {zone_id:?}"),
        );
    }
    let mut name = |var: &str| {
        let name = env.required(var)?;
        let bare = name.replace(CLUSTER, "c");
        let valid = bare.trim_end_matches('.').split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        }) && bare.contains('.');
        if !valid {
            env.problem(
                var,
                format!("expected a DNS name in the zone (letters, digits, '-', {CLUSTER}), got {name:?}"),
            );
        }
        Some(name)
    };
    let members_name = name(MEMBERS_NAME);
    let active_name = name(ACTIVE_NAME);
    if members_name.is_some() && members_name == active_name {
        env.problem(ACTIVE_NAME, format!("must differ from {MEMBERS_NAME}"));
    }
    let ttl = env.number(TTL, 5i64, "seconds as a whole number from 0 to 3600");
    if !(0..=3600).contains(&ttl) {
        env.problem(TTL, format!("expected seconds from 0 to 3600, got {ttl}"));
    }
    Some(Dns {
        zone_id,
        members_name: members_name.unwrap_or_default(),
        active_name: active_name.unwrap_or_default(),
        ttl,
    })
}

/// The endpoint policy every cluster gets when names are kept (`GRKEEPER_DNS_MAX_QUEUE`,
/// `GRKEEPER_DNS_HOLD_DOWN_SECS`); `GRKEEPER_POLICY` may override it per cluster.
pub(super) fn policy(env: &mut Reader<'_>) -> EndpointPolicy {
    let default = EndpointPolicy::default();
    EndpointPolicy {
        max_queue: env.number(
            "GRKEEPER_DNS_MAX_QUEUE",
            default.max_queue,
            "a whole number",
        ),
        hold_down_secs: env.number(
            "GRKEEPER_DNS_HOLD_DOWN_SECS",
            default.hold_down_secs,
            "seconds as a whole number",
        ),
    }
}
