//! The `GRKEEPER_*` policy variables (defaults for every cluster) and the per-cluster overrides
//! in `GRKEEPER_POLICY`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Inventory;
use super::reader::Reader;
use crate::snapshot::{BootstrapPolicy, EndpointPolicy, MaintenancePolicy, Mode, Policy};

const POLICY: &str = "GRKEEPER_POLICY";
const EXIT_STATE_ACTION: &str = "GRKEEPER_EXIT_STATE_ACTION";
const EXIT_STATE_ACTIONS: [&str; 3] = ["OFFLINE_MODE", "READ_ONLY", "ABORT_SERVER"];

/// The default policy and each cluster's overridden one.
pub(super) fn read(
    env: &mut Reader<'_>,
    inventory: &Option<Inventory>,
    endpoints: Option<EndpointPolicy>,
) -> (Policy, BTreeMap<String, Policy>) {
    let base = Policy {
        endpoints,
        ..defaults(env)
    };
    let Some(text) = env.get(POLICY) else {
        return (base, BTreeMap::new());
    };
    let overrides = match serde_json::from_str::<BTreeMap<String, Value>>(&text) {
        Ok(overrides) => overrides,
        Err(e) => {
            env.problem(
                POLICY,
                format!("expected a JSON object keyed by cluster name: {e}"),
            );
            return (base, BTreeMap::new());
        }
    };
    let known = known_clusters(inventory);
    let mut policies = BTreeMap::new();
    for (cluster, value) in overrides {
        if known
            .as_ref()
            .is_some_and(|known| !known.contains(&cluster))
        {
            env.problem(
                POLICY,
                format!("cluster {cluster:?} is not in the inventory"),
            );
            continue;
        }
        match overlay(&base, value) {
            Ok(policy) => {
                policies.insert(cluster, policy);
            }
            Err(why) => env.problem(POLICY, format!("cluster {cluster:?}: {why}")),
        }
    }
    (base, policies)
}

/// The clusters an override may name, when they are known before asking RDS.
fn known_clusters(inventory: &Option<Inventory>) -> Option<Vec<String>> {
    match inventory.as_ref()? {
        Inventory::Listed(map) => Some(map.keys().cloned().collect()),
        Inventory::Tagged { clusters, .. } => Some(clusters.as_ref()?.iter().cloned().collect()),
    }
}

/// `base` with the keys of `value` (an object of `Policy` fields) replaced.
fn overlay(base: &Policy, value: Value) -> Result<Policy, String> {
    let Value::Object(fields) = value else {
        return Err("expected an object of policy fields".to_owned());
    };
    let mut merged = serde_json::to_value(base).map_err(|e| e.to_string())?;
    if let Value::Object(target) = &mut merged {
        target.extend(fields);
    }
    let policy: Policy = serde_json::from_value(merged).map_err(|e| e.to_string())?;
    check(&policy)?;
    Ok(policy)
}

/// Rules a deserialized policy must also follow.
fn check(policy: &Policy) -> Result<(), String> {
    if let Some(action) = &policy.exit_state_action
        && !EXIT_STATE_ACTIONS.contains(&action.as_str())
    {
        return Err(format!(
            "exit_state_action: expected one of {}, got {action:?}",
            EXIT_STATE_ACTIONS.join(", ")
        ));
    }
    if policy.budget_window_secs == 0
        || policy.reboot_window_secs == 0
        || policy.flap_window_secs == 0
    {
        return Err("budget windows must be above 0 seconds".to_owned());
    }
    Ok(())
}

fn defaults(env: &mut Reader<'_>) -> Policy {
    let default = Policy::default();
    let mode = env.parsed(
        "GRKEEPER_MODE",
        default.mode,
        "act or observe",
        |text| match text.to_ascii_lowercase().as_str() {
            "act" => Some(Mode::Act),
            "observe" => Some(Mode::Observe),
            _ => None,
        },
    );
    let bootstrap = env.parsed(
        "GRKEEPER_BOOTSTRAP",
        default.bootstrap,
        "auto, approval or off",
        |text| match text.to_ascii_lowercase().as_str() {
            "auto" => Some(BootstrapPolicy::Auto),
            "approval" => Some(BootstrapPolicy::Approval),
            "off" => Some(BootstrapPolicy::Off),
            _ => None,
        },
    );
    let maintenance = env.parsed(
        "GRKEEPER_MAINTENANCE",
        default.maintenance,
        "off, approval or auto",
        |text| match text.to_ascii_lowercase().as_str() {
            "off" => Some(MaintenancePolicy::Off),
            "approval" => Some(MaintenancePolicy::Approval),
            "auto" => Some(MaintenancePolicy::Auto),
            _ => None,
        },
    );
    let (cluster_budget, budget_window_secs) = budget(
        env,
        "GRKEEPER_CLUSTER_BUDGET",
        (default.cluster_budget, default.budget_window_secs),
    );
    let (reboot_budget, reboot_window_secs) = budget(
        env,
        "GRKEEPER_REBOOT_BUDGET",
        (default.reboot_budget, default.reboot_window_secs),
    );
    let (flap_limit, flap_window_secs) = budget(
        env,
        "GRKEEPER_FLAP_LIMIT",
        (default.flap_limit, default.flap_window_secs),
    );
    let exit_state_action = env.parsed(
        EXIT_STATE_ACTION,
        None,
        "OFFLINE_MODE, READ_ONLY or ABORT_SERVER",
        |text| {
            let upper = text.to_ascii_uppercase();
            EXIT_STATE_ACTIONS
                .contains(&upper.as_str())
                .then_some(Some(upper))
        },
    );
    const WHOLE: &str = "a whole number";
    const SECS: &str = "seconds as a whole number";
    Policy {
        mode,
        rejoin: switch(env, "GRKEEPER_REJOIN", default.rejoin),
        rejoin_after_operator_stop: switch(
            env,
            "GRKEEPER_REJOIN_AFTER_OPERATOR_STOP",
            default.rejoin_after_operator_stop,
        ),
        reboot: switch(env, "GRKEEPER_REBOOT", default.reboot),
        expel: switch(env, "GRKEEPER_EXPEL", default.expel),
        bootstrap,
        fault_tolerance_floor: env.number(
            "GRKEEPER_FAULT_TOLERANCE_FLOOR",
            default.fault_tolerance_floor,
            WHOLE,
        ),
        member_cooldown_secs: env.number(
            "GRKEEPER_MEMBER_COOLDOWN_SECS",
            default.member_cooldown_secs,
            SECS,
        ),
        cluster_budget,
        budget_window_secs,
        reboot_budget,
        reboot_window_secs,
        recovering_deadline_secs: env.number(
            "GRKEEPER_RECOVERING_DEADLINE_SECS",
            default.recovering_deadline_secs,
            SECS,
        ),
        applier_queue_limit: env.number(
            "GRKEEPER_APPLIER_QUEUE_LIMIT",
            default.applier_queue_limit,
            WHOLE,
        ),
        lag_deadline_secs: env.number(
            "GRKEEPER_LAG_DEADLINE_SECS",
            default.lag_deadline_secs,
            SECS,
        ),
        partition_deadline_secs: env.number(
            "GRKEEPER_PARTITION_DEADLINE_SECS",
            default.partition_deadline_secs,
            SECS,
        ),
        min_binlog_retention_hours: env.number(
            "GRKEEPER_MIN_BINLOG_RETENTION_HOURS",
            default.min_binlog_retention_hours,
            "hours as a whole number",
        ),
        exit_state_action,
        flap_limit,
        flap_window_secs,
        clock_skew_secs: env.number("GRKEEPER_CLOCK_SKEW_SECS", default.clock_skew_secs, SECS),
        maintenance,
        maintenance_return_secs: env.number(
            "GRKEEPER_MAINTENANCE_RETURN_SECS",
            default.maintenance_return_secs,
            SECS,
        ),
        maintenance_max_queue: env.number(
            "GRKEEPER_MAINTENANCE_MAX_QUEUE",
            default.maintenance_max_queue,
            WHOLE,
        ),
        endpoints: None,
    }
}

pub(super) fn switch(env: &mut Reader<'_>, name: &str, default: bool) -> bool {
    env.parsed(name, default, "on or off", |text| {
        match text.to_ascii_lowercase().as_str() {
            "on" | "true" => Some(true),
            "off" | "false" => Some(false),
            _ => None,
        }
    })
}

/// `N/SECONDS`: at most N per window of SECONDS (above 0).
fn budget(env: &mut Reader<'_>, name: &str, default: (u32, u64)) -> (u32, u64) {
    env.parsed(
        name,
        default,
        "N/SECONDS (at most N per window of SECONDS, e.g. 3/3600)",
        |text| {
            let (count, window) = text.split_once('/')?;
            let count = count.trim().parse().ok()?;
            let window = window.trim().parse().ok().filter(|w: &u64| *w > 0)?;
            Some((count, window))
        },
    )
}
