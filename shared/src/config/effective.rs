//! The part of a configuration that decides what a tick does ([`Effective`]: deployment,
//! inventory, policies, step budget), as the functions publish it at cold start ([`Published`],
//! the journal's `deployment` item) and as the CLI compares its own with before it acts: the CLI
//! never acts with a policy the deployed functions do not have ([`Effective::differences`]).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Config, Inventory};
use crate::snapshot::Policy;

/// What decides a tick's actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Effective {
    /// `GRKEEPER_DEPLOYMENT`.
    pub deployment: String,
    /// Where the clusters come from.
    pub inventory: Inventory,
    /// The policy of every cluster without an override.
    pub policy: Policy,
    /// Each overridden cluster's whole policy.
    #[serde(default)]
    pub cluster_policies: BTreeMap<String, Policy>,
    /// `GRKEEPER_MAX_STEPS`.
    pub max_steps: u32,
}

/// One field whose value differs, as a dotted path (`policy.mode`) and both values as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Where, e.g. `cluster_policies.orders.expel`.
    pub path: String,
    /// The deployed value (`absent` when missing).
    pub deployed: String,
    /// The local value.
    pub local: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: deployed {}, here {}",
            self.path, self.deployed, self.local
        )
    }
}

impl Effective {
    /// Every field where `local` differs from `self` (the deployed configuration), in order.
    pub fn differences(&self, local: &Effective) -> Vec<Difference> {
        let deployed = serde_json::to_value(self).unwrap_or(Value::Null);
        let here = serde_json::to_value(local).unwrap_or(Value::Null);
        let mut found = Vec::new();
        diff("", &deployed, &here, &mut found);
        found
    }
}

fn diff(path: &str, deployed: &Value, local: &Value, found: &mut Vec<Difference>) {
    let shown = |v: Option<&Value>| v.map_or_else(|| "absent".to_owned(), Value::to_string);
    match (deployed, local) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let at = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => diff(&at, x, y, found),
                    (x, y) => found.push(Difference {
                        path: at,
                        deployed: shown(x),
                        local: shown(y),
                    }),
                }
            }
        }
        _ if deployed != local => found.push(Difference {
            path: path.to_owned(),
            deployed: shown(Some(deployed)),
            local: shown(Some(local)),
        }),
        _ => {}
    }
}

/// The configuration a deployment's functions published, and when and by whom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Published {
    /// What decides their ticks.
    pub effective: Effective,
    /// `GRKEEPER_EVENT_INSTANCE_IDS`, when the stack set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_instance_ids: Option<Vec<String>>,
    /// The function that wrote it (`sweep`, `rds-event`).
    pub by: String,
    /// grkeeper's version.
    pub version: String,
    /// When (the cold start).
    pub at: DateTime<Utc>,
}

impl Config {
    /// The part of this configuration that decides a tick's actions.
    pub fn effective(&self) -> Effective {
        Effective {
            deployment: self.deployment.clone(),
            inventory: self.inventory.clone(),
            policy: self.policy.clone(),
            cluster_policies: self.cluster_policies.clone(),
            max_steps: self.max_steps,
        }
    }

    /// What a function publishes about itself at cold start.
    pub fn published(&self, by: &str, at: DateTime<Utc>) -> Published {
        Published {
            effective: self.effective(),
            event_instance_ids: self.event_instance_ids.clone(),
            by: by.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Mode;

    fn effective() -> Effective {
        Effective {
            deployment: "grkeeper".into(),
            inventory: Inventory::Tagged {
                tag_key: "grkeeper:cluster".into(),
                clusters: None,
            },
            policy: Policy::default(),
            cluster_policies: BTreeMap::new(),
            max_steps: 10,
        }
    }

    #[test]
    fn the_same_configuration_has_no_difference() {
        assert!(effective().differences(&effective()).is_empty());
    }

    #[test]
    fn each_differing_field_is_named_with_both_values() {
        let deployed = effective();
        let mut local = effective();
        local.policy.mode = Mode::Observe;
        local
            .cluster_policies
            .insert("orders".into(), Policy::default());
        local.max_steps = 3;
        let found = deployed.differences(&local);
        let paths: Vec<&str> = found.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            ["cluster_policies.orders", "max_steps", "policy.mode"]
        );
        assert_eq!(found[0].deployed, "absent");
        assert_eq!(found[1].to_string(), "max_steps: deployed 10, here 3");
        assert_eq!(
            found[2].to_string(),
            r#"policy.mode: deployed "act", here "observe""#
        );
    }

    #[test]
    fn a_published_configuration_reads_back_as_written() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let published = Published {
            effective: effective(),
            event_instance_ids: Some(vec!["orders-1".into()]),
            by: "sweep".into(),
            version: "0.1.0".into(),
            at,
        };
        let text = serde_json::to_string(&published).unwrap();
        assert_eq!(serde_json::from_str::<Published>(&text).unwrap(), published);
    }
}
