//! What a person should do: the next step, one line per finding kind, and the procedure it
//! belongs to, step by step with exact commands (`procedures/*.md`: `grkeeper runbook` and
//! `docs/runbook.md` print them, each alert links its own). Exhaustive on purpose: a new finding
//! kind does not compile without its advice and its procedure.

use crate::plan::FindingKind;

/// A step-by-step procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Procedure {
    /// A member out of the group (stopped, failed, offline mode, unreachable, stopped in RDS).
    MemberOut,
    /// No live group anywhere, members stopped in RDS included.
    CompleteOutage,
    /// Live members without a majority.
    QuorumLost,
    /// Two live groups.
    SplitBrain,
    /// Replacing a member that can no longer join with a copy of a healthy one.
    RebuildMember,
    /// A member holding transactions the group lacks.
    ErrantTransactions,
    /// A member that keeps leaving the group.
    Flapping,
    /// Setup drift, credentials, pauses.
    Configuration,
}

/// Every procedure, in the order the runbook prints them.
pub const PROCEDURES: [Procedure; 8] = [
    Procedure::MemberOut,
    Procedure::CompleteOutage,
    Procedure::QuorumLost,
    Procedure::SplitBrain,
    Procedure::RebuildMember,
    Procedure::ErrantTransactions,
    Procedure::Flapping,
    Procedure::Configuration,
];

impl Procedure {
    /// Its name: the argument of `grkeeper runbook` and the anchor in `docs/runbook.md`.
    pub fn name(self) -> &'static str {
        match self {
            Procedure::MemberOut => "member-out-of-the-group",
            Procedure::CompleteOutage => "complete-outage",
            Procedure::QuorumLost => "quorum-lost",
            Procedure::SplitBrain => "split-brain",
            Procedure::RebuildMember => "rebuilding-a-member",
            Procedure::ErrantTransactions => "errant-transactions",
            Procedure::Flapping => "flapping",
            Procedure::Configuration => "configuration",
        }
    }

    /// Its text: Markdown, a `##` heading first.
    pub fn text(self) -> &'static str {
        match self {
            Procedure::MemberOut => include_str!("procedures/member-out-of-the-group.md"),
            Procedure::CompleteOutage => include_str!("procedures/complete-outage.md"),
            Procedure::QuorumLost => include_str!("procedures/quorum-lost.md"),
            Procedure::SplitBrain => include_str!("procedures/split-brain.md"),
            Procedure::RebuildMember => include_str!("procedures/rebuilding-a-member.md"),
            Procedure::ErrantTransactions => include_str!("procedures/errant-transactions.md"),
            Procedure::Flapping => include_str!("procedures/flapping.md"),
            Procedure::Configuration => include_str!("procedures/configuration.md"),
        }
    }

    /// Its heading, without the `## `.
    pub fn title(self) -> &'static str {
        self.text()
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("## "))
            .unwrap_or_else(|| self.name())
    }

    /// Where it is published: `docs/runbook.md` in the project's repository.
    pub fn url(self) -> String {
        format!(
            "{}/blob/main/docs/runbook.md#{}",
            env!("CARGO_PKG_REPOSITORY"),
            self.name()
        )
    }

    /// The procedure of `name`, if there is one.
    pub fn named(name: &str) -> Option<Procedure> {
        PROCEDURES.into_iter().find(|p| p.name() == name)
    }
}

/// The procedure a finding of `kind` belongs to.
pub fn procedure(kind: FindingKind) -> Procedure {
    use FindingKind::*;
    match kind {
        MemberOffline | MemberError | OfflineMode | MemberUnreachable | MemberStopped
        | InstanceChanging | StuckRecovering | ApplierLag | AccessDenied | ActiveHeld => {
            Procedure::MemberOut
        }
        CompleteOutage | NoGtidSuperset | TransactionsUnknown | UnobservedMember => {
            Procedure::CompleteOutage
        }
        NoQuorum | MinorityPartition | EndpointsFrozen => Procedure::QuorumLost,
        SplitBrain => Procedure::SplitBrain,
        PurgedTransactions | RebuildNeeded => Procedure::RebuildMember,
        ErrantGtids | LocalGtids => Procedure::ErrantTransactions,
        Flapping => Procedure::Flapping,
        VersionSkew
        | LowerVersion
        | SeedsDrift
        | ParameterPendingReboot
        | BinlogRetention
        | ExitStateActionDrift
        | GroupNameMismatch
        | UnknownMember
        | DuplicateServerUuid
        | EmptyInventory
        | ControlPlaneError
        | Paused
        | FaultToleranceLow
        | MaintenanceWindowsOverlap
        | PendingMaintenance
        | AutoMinorVersionUpgradeMixed
        | EngineVersionsDiffer
        | StartedByRds
        | MaintenanceRolling
        | MaintenanceStalled => Procedure::Configuration,
    }
}

/// How an alert points at the procedure for `kind`: the command that prints it, and its page.
pub fn procedure_link(kind: FindingKind) -> String {
    let procedure = procedure(kind);
    format!(
        "{} (`grkeeper runbook {}`, {})",
        procedure.title(),
        procedure.name(),
        procedure.url()
    )
}

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
            "Two live groups exist (or did): keep one, pause grkeeper for the other's members, stop \
             GR on them, rebuild them from the kept group (never rejoin them: same GTIDs, \
             different rows), then approve each rebuilt member's rejoin (grkeeper approve rejoin \
             --cluster NAME --instance ID); until then grkeeper rejoins none and re-bootstraps \
             nothing."
        }
        ErrantGtids => {
            "The member holds transactions the group lacks: inspect them, then rebuild the member \
             from a snapshot of a healthy one (or apply them to the group)."
        }
        LocalGtids => {
            "A 9.7 member and the group each hold GTIDs under their own server_uuid the other \
             lacks (RDS initialization writes, or errant local writes). Check they changed no \
             replicated data, then create the placeholders with the calls listed, or let \
             grkeeper make them: `grkeeper approve sync-gtids` names the member (and the ranges). \
             If in doubt, rebuild the member from a healthy one."
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
        VersionSkew => {
            "A newer member is read-only: finish the upgrade one member at a time, members on \
             newer versions first, the lowest-version members last."
        }
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
            "Two instances share a server_uuid (a restored copy, in the inventory or running \
             outside it in a member's place): grkeeper acts on neither. Take the copy out of the \
             cluster or rebuild it so it gets its own server_uuid."
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
        MaintenanceWindowsOverlap => {
            "Give every member its own maintenance window (the finding suggests a staggered \
             schedule), so RDS never takes more members down together than the group can lose."
        }
        PendingMaintenance => {
            "Apply it one member at a time, each once the previous one is ONLINE and caught up, \
             before RDS applies it in the member's window: by hand, or let grkeeper roll it \
             (GRKEEPER_MAINTENANCE=approval, then `grkeeper approve maintenance`; \
             docs/maintenance.md)."
        }
        MaintenanceRolling => {
            "grkeeper applies what is pending one member at a time; `grkeeper status` shows what \
             is done, the member it waits for and what remains. Nothing to do."
        }
        MaintenanceStalled => {
            "A member taken down for maintenance did not come back in time and the roll stopped: \
             look at it in the RDS console and its error log; once it is back ONLINE and caught \
             up with nothing of the step pending, the roll goes on (GRKEEPER_MAINTENANCE=off \
             stops it)."
        }
        AutoMinorVersionUpgradeMixed => {
            "Turn automatic minor version upgrade off on every member and upgrade one member at a \
             time, so no member is left read-only by a surprise upgrade."
        }
        EngineVersionsDiffer => {
            "Finish the upgrade one member at a time: on 8.0 the newer members are read-only \
             until none runs an older version."
        }
        StartedByRds => {
            "RDS started it after seven days stopped: let it rejoin (or rebuild it if its \
             binlogs are gone), or stop it again if it should stay down."
        }
        Flapping => {
            "It keeps leaving the group: find why (its Repl error log, the network, its load) before \
             it is brought back; then approve (`grkeeper approve rejoin`) or wait for the window."
        }
        EndpointsFrozen => {
            "The DNS names stay as they were until one group holds quorum: repair the cluster \
             condition above; during a split brain, point applications at the group you keep by \
             hand if they must write before then."
        }
        ActiveHeld => {
            "No member can take the active DNS name: bring a member back ONLINE, writable and \
             caught up; the name moves to it on the next tick."
        }
    }
}
