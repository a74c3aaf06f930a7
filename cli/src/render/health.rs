//! A cluster's health in MySQL Shell's words (`cluster.status()`: `status` and `statusText`),
//! so a person used to InnoDB Cluster reads it at once. Shell has no word for a complete outage
//! or a split brain (it reports the view of the one member it is connected to), nor for a
//! cluster whose inventory is empty; grkeeper, which reads every member, names them.

use grkeeper::plan::{ClusterStatus, Health};

/// Shell's status word, or grkeeper's own where Shell has none.
pub fn word(status: ClusterStatus) -> &'static str {
    match status {
        ClusterStatus::Ok => "OK",
        ClusterStatus::OkPartial => "OK_PARTIAL",
        ClusterStatus::OkNoTolerance => "OK_NO_TOLERANCE",
        ClusterStatus::OkNoTolerancePartial => "OK_NO_TOLERANCE_PARTIAL",
        ClusterStatus::NoQuorum => "NO_QUORUM",
        ClusterStatus::CompleteOutage => "COMPLETE_OUTAGE",
        ClusterStatus::SplitBrain => "SPLIT_BRAIN",
        ClusterStatus::Empty => "EMPTY",
    }
}

/// Shell's `statusText` for the same situation.
pub fn text(health: &Health) -> String {
    let inactive = health.members.saturating_sub(health.online);
    let tolerance = match health.tolerance {
        0 => "Cluster is NOT tolerant to any failures.".to_owned(),
        1 => "Cluster is ONLINE and can tolerate up to ONE failure.".to_owned(),
        n => format!("Cluster is ONLINE and can tolerate up to {n} failures."),
    };
    match health.status {
        ClusterStatus::Ok | ClusterStatus::OkNoTolerance => tolerance,
        ClusterStatus::OkPartial | ClusterStatus::OkNoTolerancePartial => {
            format!("{tolerance} {}", not_active(inactive))
        }
        ClusterStatus::NoQuorum => format!(
            "Cluster has no quorum and cannot process write transactions. {}",
            not_active(inactive)
        ),
        ClusterStatus::CompleteOutage => {
            "Cluster is OFFLINE: no member is ONLINE or RECOVERING in any view.".to_owned()
        }
        ClusterStatus::SplitBrain => "Cluster is SPLIT: more than one group is live.".to_owned(),
        ClusterStatus::Empty => "Cluster has no instance in the inventory.".to_owned(),
    }
}

fn not_active(n: u32) -> String {
    match n {
        1 => "1 member is not active.".to_owned(),
        n => format!("{n} members are not active."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(status: ClusterStatus, members: u32, online: u32) -> Health {
        Health {
            status,
            members,
            online,
            tolerance: online.saturating_sub(1) / 2,
        }
    }

    #[test]
    fn the_texts_are_those_mysql_shell_prints() {
        assert_eq!(
            text(&health(ClusterStatus::Ok, 3, 3)),
            "Cluster is ONLINE and can tolerate up to ONE failure."
        );
        assert_eq!(
            text(&health(ClusterStatus::Ok, 5, 5)),
            "Cluster is ONLINE and can tolerate up to 2 failures."
        );
        assert_eq!(
            text(&health(ClusterStatus::OkNoTolerancePartial, 3, 2)),
            "Cluster is NOT tolerant to any failures. 1 member is not active."
        );
        assert_eq!(
            text(&health(ClusterStatus::OkPartial, 5, 3)),
            "Cluster is ONLINE and can tolerate up to ONE failure. 2 members are not active."
        );
        assert_eq!(
            word(ClusterStatus::OkNoTolerancePartial),
            "OK_NO_TOLERANCE_PARTIAL"
        );
    }
}
