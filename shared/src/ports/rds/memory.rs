//! An in-memory [`RdsControl`] and [`RdsReboot`]: instances with statuses and tags, a reboot that
//! behaves like RDS's (refused unless `available`, then `rebooting`; its reply can be lost), pending
//! maintenance applied on request (refused unless `available` or not pending, then `upgrading`
//! or `maintenance`), and a hook so a demo or test can restart the simulated member and bring the
//! status back.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{ClusterInventory, Described, RdsControl, RdsError, group, not_found};
use crate::model::{InstanceStatus, Observed, RdsInstance};
use crate::ports::aws::AwsError;
use crate::ports::reboot::{CLAIM_TAG, RdsReboot};

type RebootHook = Arc<dyn Fn(&MemoryRds, &str) + Send + Sync>;

/// RDS held in memory; clones share the same state.
#[derive(Clone, Default)]
pub struct MemoryRds {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    instances: BTreeMap<String, RdsInstance>,
    reboots: Vec<String>,
    applied: Vec<(String, String)>,
    failures: VecDeque<RdsError>,
    lose_reboot_reply: bool,
    on_reboot: Option<RebootHook>,
}

impl State {
    fn instance_mut(&mut self, id: &str) -> Result<&mut RdsInstance, RdsError> {
        self.instances
            .get_mut(id)
            .ok_or_else(|| RdsError::NotFound {
                instance: id.to_owned(),
            })
    }
}

impl std::fmt::Debug for MemoryRds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("MemoryRds")
            .field("instances", &state.instances)
            .field("reboots", &state.reboots)
            .finish()
    }
}

impl MemoryRds {
    /// No instances.
    pub fn new() -> Self {
        MemoryRds::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not take the stand-in down with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds or replaces an instance.
    pub fn insert(&self, id: impl Into<String>, instance: RdsInstance) {
        self.lock().instances.insert(id.into(), instance);
    }

    /// Sets an instance's `DBInstanceStatus`; unknown ids are ignored.
    pub fn set_status(&self, id: &str, status: &str) {
        if let Some(instance) = self.lock().instances.get_mut(id) {
            instance.status = InstanceStatus(status.to_owned());
        }
    }

    /// An instance's current record.
    pub fn instance(&self, id: &str) -> Option<RdsInstance> {
        self.lock().instances.get(id).cloned()
    }

    /// Instances rebooted so far, in order.
    pub fn reboots(&self) -> Vec<String> {
        self.lock().reboots.clone()
    }

    /// Pending maintenance applied so far (instance, action), in order.
    pub fn applied(&self) -> Vec<(String, String)> {
        self.lock().applied.clone()
    }

    /// The next API calls fail with these errors, one each (throttling, outages).
    pub fn fail_next(&self, error: RdsError) {
        self.lock().failures.push_back(error);
    }

    /// The next reboot is accepted, but its reply is lost and the SDK's retry answers what RDS
    /// answers a reboot of a `rebooting` instance: `InvalidDBInstanceState`.
    pub fn lose_next_reboot_reply(&self) {
        self.lock().lose_reboot_reply = true;
    }

    /// Called after each accepted reboot or applied maintenance, with the instance already
    /// `rebooting` (`upgrading`, `maintenance`).
    pub fn on_reboot(&self, hook: impl Fn(&MemoryRds, &str) + Send + Sync + 'static) {
        self.lock().on_reboot = Some(Arc::new(hook));
    }

    fn injected_failure(&self) -> Result<(), RdsError> {
        self.lock().failures.pop_front().map_or(Ok(()), Err)
    }
}

impl RdsControl for MemoryRds {
    async fn clusters_by_tag(&self, tag_key: &str) -> Result<Vec<ClusterInventory>, RdsError> {
        self.injected_failure()?;
        let state = self.lock();
        Ok(group(state.instances.iter().filter_map(
            |(id, instance)| Some((instance.tags.get(tag_key)?.clone(), id.clone())),
        )))
    }

    async fn describe(&self, ids: &[String]) -> Result<Described, RdsError> {
        self.injected_failure()?;
        let state = self.lock();
        Ok(ids
            .iter()
            .map(|id| {
                let reading = state
                    .instances
                    .get(id)
                    .map_or_else(|| not_found(id), |rds| Observed::Seen(rds.clone()));
                (id.clone(), reading)
            })
            .collect())
    }
}

impl RdsReboot for MemoryRds {
    async fn claim(&self, id: &str, deployment: &str) -> Result<(), RdsError> {
        self.injected_failure()?;
        let mut state = self.lock();
        state
            .instance_mut(id)?
            .tags
            .insert(CLAIM_TAG.to_owned(), deployment.to_owned());
        Ok(())
    }

    async fn reboot(&self, id: &str) -> Result<(), RdsError> {
        self.injected_failure()?;
        let (hook, reply_lost) = {
            let mut state = self.lock();
            let instance = state.instance_mut(id)?;
            if !instance.status.is_available() {
                return Err(not_available(id, &instance.status));
            }
            instance.status = InstanceStatus("rebooting".to_owned());
            state.reboots.push(id.to_owned());
            (
                state.on_reboot.clone(),
                std::mem::take(&mut state.lose_reboot_reply),
            )
        };
        if let Some(hook) = hook {
            hook(self, id);
        }
        if reply_lost {
            return Err(not_available(id, &InstanceStatus("rebooting".to_owned())));
        }
        Ok(())
    }

    async fn apply_maintenance(&self, id: &str, action: &str) -> Result<(), RdsError> {
        self.injected_failure()?;
        let hook = {
            let mut state = self.lock();
            let instance = state.instance_mut(id)?;
            if !instance.status.is_available() {
                return Err(not_available(id, &instance.status));
            }
            let Some(Observed::Seen(pending)) = instance.pending_maintenance.as_mut() else {
                return Err(nothing_pending(id, action));
            };
            let before = pending.len();
            pending.retain(|p| p.action != action);
            if pending.len() == before {
                return Err(nothing_pending(id, action));
            }
            let status = if action == "db-upgrade" {
                "upgrading"
            } else {
                "maintenance"
            };
            instance.status = InstanceStatus(status.to_owned());
            // Whatever waited for a reboot takes effect with the restart.
            instance.parameter_apply_status = Some("in-sync".to_owned());
            state.applied.push((id.to_owned(), action.to_owned()));
            state.on_reboot.clone()
        };
        if let Some(hook) = hook {
            hook(self, id);
        }
        Ok(())
    }
}

/// RDS's answer to applying an action the instance does not have pending.
fn nothing_pending(id: &str, action: &str) -> RdsError {
    RdsError::Aws(AwsError::entry_failure(
        "RDS.ApplyPendingMaintenanceAction",
        Some("InvalidParameterValue"),
        format!("No pending {action} for {id}."),
    ))
}

/// RDS's `InvalidDBInstanceState` answer to a reboot.
fn not_available(id: &str, status: &InstanceStatus) -> RdsError {
    RdsError::InvalidState {
        instance: id.to_owned(),
        message: format!("Instance {id} is not in available state ({status})."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(status: &str, cluster: Option<&str>) -> RdsInstance {
        RdsInstance {
            status: InstanceStatus(status.to_owned()),
            endpoint: Some("db.example".to_owned()),
            port: Some(3306),
            engine_version: Some("8.0.36".to_owned()),
            parameter_apply_status: None,
            maintenance_window: None,
            auto_minor_version_upgrade: None,
            pending_maintenance: None,
            tags: cluster
                .map(|c| BTreeMap::from([("grkeeper:cluster".to_owned(), c.to_owned())]))
                .unwrap_or_default(),
        }
    }

    #[tokio::test]
    async fn instances_group_into_clusters_by_their_tag() {
        let rds = MemoryRds::new();
        rds.insert("db2", instance("available", Some("orders")));
        rds.insert("db1", instance("available", Some("orders")));
        rds.insert("b1", instance("available", Some("billing")));
        rds.insert("lonely", instance("available", None));
        let clusters = rds.clusters_by_tag("grkeeper:cluster").await.unwrap();
        assert_eq!(
            clusters,
            [
                ClusterInventory {
                    cluster: "billing".into(),
                    instances: vec!["b1".into()]
                },
                ClusterInventory {
                    cluster: "orders".into(),
                    instances: vec!["db1".into(), "db2".into()]
                },
            ]
        );
    }

    #[tokio::test]
    async fn an_unknown_instance_is_described_as_failed() {
        let rds = MemoryRds::new();
        rds.insert("db1", instance("available", None));
        let described = rds.describe(&["db1".into(), "db9".into()]).await.unwrap();
        assert!(described[0].1.seen().is_some());
        assert_eq!(
            described[1].1.failed().map(String::as_str),
            Some("DescribeDBInstances does not know DB instance \"db9\"")
        );
    }

    #[tokio::test]
    async fn a_reboot_is_refused_unless_the_instance_is_available() {
        let rds = MemoryRds::new();
        rds.insert("db1", instance("available", None));
        rds.reboot("db1").await.unwrap();
        assert_eq!(rds.instance("db1").unwrap().status.0, "rebooting");
        let again = rds.reboot("db1").await.unwrap_err();
        assert!(matches!(again, RdsError::InvalidState { .. }), "{again:?}");
        assert_eq!(rds.reboots(), ["db1"]);
        assert!(matches!(
            rds.reboot("db9").await,
            Err(RdsError::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn an_injected_throttle_fails_one_call_and_is_retryable() {
        let rds = MemoryRds::new();
        rds.fail_next(RdsError::Aws(AwsError::entry_failure(
            "RDS.DescribeDBInstances",
            Some("Throttling"),
            "Rate exceeded".into(),
        )));
        let error = rds.describe(&[]).await.unwrap_err();
        assert!(error.is_throttled() && error.is_retryable(), "{error:?}");
        assert!(rds.describe(&[]).await.is_ok());
    }
}
