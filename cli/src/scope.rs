//! Which cluster (and instance) a command is about. Names from the command line pass the same
//! naming rules as a manual invocation of the functions (`docs/events.md`), so a typo is caught
//! before anything is read or written.

use grkeeper::trigger::{self, Trigger};
use serde_json::{Map, Value};

use crate::Failure;

/// The manual sweep of `cluster` (or every cluster), optionally narrowed to `instance`'s cluster:
/// the trigger `status` and `tick` run the keeper with.
pub fn sweep(cluster: Option<&str>, instance: Option<&str>) -> Result<Trigger, Failure> {
    let mut input = Map::new();
    input.insert("action".into(), "sweep".into());
    if let Some(cluster) = cluster {
        input.insert("cluster".into(), cluster.into());
    }
    if let Some(instance) = instance {
        input.insert("instance".into(), instance.into());
    }
    trigger::from_value(&Value::Object(input))
        .map_err(|e| Failure::BadInput(format!("{e} (given on the command line)")))
}

/// A cluster name and an optional instance id, checked and as RDS spells them.
pub fn names(cluster: &str, instance: Option<&str>) -> Result<(String, Option<String>), Failure> {
    match sweep(Some(cluster), instance)? {
        Trigger::Manual(manual) => Ok((
            manual
                .cluster
                .map_or_else(|| cluster.to_owned(), |c| c.as_str().to_owned()),
            manual.instance.map(|i| i.as_str().to_owned()),
        )),
        other => Err(Failure::BadInput(format!(
            "expected a manual sweep, parsed a {} trigger",
            other.kind()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_instance_ids_spelled_as_rds_does() {
        let (cluster, instance) = names("orders", Some("Orders-2")).unwrap();
        assert_eq!(cluster, "orders");
        assert_eq!(instance.as_deref(), Some("orders-2"));
        assert!(matches!(
            names("orders", Some("orders--2")),
            Err(Failure::BadInput(_))
        ));
        assert!(matches!(names("", None), Err(Failure::BadInput(_))));
    }

    #[test]
    fn a_sweep_without_a_cluster_concerns_every_cluster() {
        let Trigger::Manual(manual) = sweep(None, None).unwrap() else {
            panic!("not a manual sweep");
        };
        assert!(manual.cluster.is_none() && manual.instance.is_none());
    }
}
