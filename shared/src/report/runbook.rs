//! What a person should do next, one line per finding kind. Exhaustive on purpose: a new
//! finding kind does not compile without its advice.

use crate::plan::FindingKind;

/// The next step for a person facing a finding of `kind`.
pub fn next_step(kind: FindingKind) -> &'static str {
    use FindingKind::*;
    match kind {
        MemberOffline => {
            "grkeeper rejoins it when the guards allow; if refused, fix the reason given, or run \
             CALL mysql.rds_group_replication_start(0) on it yourself."
        }
        MemberError => {
            "grkeeper reboots it when the guards allow; check its error log for why it left the group."
        }
        OfflineMode => {
            "Its exit action ran (offline mode). grkeeper reboots it when allowed; otherwise reboot \
             the instance from the RDS console."
        }
        MemberUnreachable => {
            "Check the instance in the RDS console, its security groups and the network from the \
             grkeeper Lambda's subnets."
        }
        MemberStopped => {
            "Start the instance in RDS (or pause grkeeper for it if the stop is intended)."
        }
        InstanceChanging => "RDS is changing the instance; wait for it to be available again.",
        StuckRecovering => {
            "Check the recovery channel error and the donor's binlogs; expel it (CALL \
             mysql.rds_group_replication_stop()) if it throttles the group."
        }
        ApplierLag => {
            "Find what slows its applier (instance size, long transactions, storage); expel it if \
             flow control slows every writer."
        }
        MinorityPartition => {
            "Its writes hang. Restore the network to the majority, or stop GR on it so clients fail over."
        }
        NoQuorum => {
            "Writes hang everywhere. Bring the missing members back; never force a new group while \
             any member is live."
        }
        CompleteOutage => {
            "grkeeper re-bootstraps from the member holding every transaction when all guards \
             allow; if refused, resolve the reason given (or record an approval)."
        }
        SplitBrain => {
            "Two live groups exist: keep one, pause grkeeper for the other's members, stop GR on \
             them, and rebuild them from the kept group (never rejoin them: same GTIDs, \
             different rows)."
        }
        ErrantGtids => {
            "The member holds transactions the group lacks: inspect them, then rebuild the member \
             from a snapshot of a healthy one (or apply them to the group)."
        }
        PurgedTransactions => {
            "The group no longer has the binlogs it lacks: rebuild it from a snapshot of a \
             healthy member."
        }
        NoGtidSuperset => {
            "No member holds every transaction: compare the GTID sets below, pick the survivor, \
             and reconcile the others by hand before bootstrapping."
        }
        TransactionsUnknown => {
            "Members whose transactions were not read block an automatic re-bootstrap: start or \
             repair them so grkeeper can read them, or approve giving them up (the finding names \
             the exact `grkeeper approve bootstrap ... --give-up` command)."
        }
        UnobservedMember => {
            "A member's state is unknown: make it reachable, or stop it through RDS so grkeeper \
             can decide safely."
        }
        VersionSkew => "A newer member is read-only: finish the upgrade, lowest versions first.",
        LowerVersion => {
            "Upgrade the member to at least the group's lowest version, then rejoin it."
        }
        SeedsDrift => "Add every member to group_replication_group_seeds in the parameter group.",
        ParameterPendingReboot => {
            "Parameter group changes wait for a reboot: reboot the members one at a time."
        }
        BinlogRetention => {
            "Raise binlog retention (CALL mysql.rds_set_configuration('binlog retention hours', \
             168)) so a dropped member can still catch up."
        }
        ExitStateActionDrift => {
            "Set the same group_replication_exit_state_action on every member's parameter group."
        }
        GroupNameMismatch => {
            "Members disagree on group_replication_group_name: fix the parameter groups before any rejoin."
        }
        UnknownMember => {
            "A view lists (or listed) a member outside the inventory: grkeeper neither expels, \
             fences nor bootstraps until it is accounted for. Tag its instance for this cluster, \
             or stop Group Replication on it and remove it from the seeds."
        }
        DuplicateServerUuid => {
            "Two instances share a server_uuid (a restored copy): grkeeper acts on neither. Take \
             one out of the cluster or rebuild it so it gets its own server_uuid."
        }
        EmptyInventory => {
            "No instance carries the cluster tag: tag the cluster's instances, or remove the \
             cluster from grkeeper's configuration."
        }
        AccessDenied => {
            "grkeeper's database credentials are rejected: fix the user or the secret in Secrets Manager."
        }
        ControlPlaneError => {
            "DescribeDBInstances failed: check grkeeper's IAM permissions and RDS API throttling."
        }
        Paused => "grkeeper only observes while paused; resume it when the maintenance is over.",
        RebuildNeeded => {
            "Rebooting did not bring it back: rebuild the member from a snapshot of a healthy one."
        }
        FaultToleranceLow => {
            "The group tolerates fewer failures than the policy floor: bring the missing members back."
        }
    }
}
