//! The checker: judges a schedule by the simulator's ground truth after every step and by the
//! record of every action at the instant it reached the cluster, never by what grkeeper says.
//!
//! Safety ([`Violation`]): never two live groups, never a bootstrap beside a live group or
//! without an acknowledged commit, no GTID issued twice (one GTID naming two transactions), no
//! acknowledged commit missing once the cluster converged; no action on a paused cluster or
//! member, none that leaves fewer ONLINE members than a majority or the policy's fault
//! tolerance, at most one disruptive action per tick, every action journaled as intent before it
//! reached the cluster, none repeated under the same journaled intent. Liveness is judged at the
//! end ([`Liveness`]).

use std::collections::BTreeMap;
use std::fmt;

use gr_sim::{GtidSet, Truth};
use grkeeper::ports::member_control::Procedure;
use grkeeper::snapshot::{ActionKind, Outcome, PastAction, Policy};

use crate::tap::{ActionRecord, Done};

/// A broken safety invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// Two groups that can commit at once.
    SplitBrain(String),
    /// Members live (ONLINE or RECOVERING) in two group incarnations at once.
    TwoLiveGroups(String),
    /// A bootstrap while members were live in a group.
    BootstrapBesideLiveGroup(String),
    /// A bootstrap from a member lacking acknowledged commits.
    BootstrapLosingCommits(String),
    /// A GTID issued a second time: it names two different transactions.
    DivergentGtids(String),
    /// An acknowledged commit missing from the converged group.
    AcknowledgedCommitLost(String),
    /// An action while the cluster or the member was paused.
    ActionWhilePaused(String),
    /// An action that left fewer ONLINE members than a majority of the group's view.
    BelowMajority(String),
    /// An action that left the group tolerating fewer failures than the policy's floor.
    BelowFaultTolerance(String),
    /// More than one disruptive action in one tick.
    TwoDisruptiveActionsInATick(String),
    /// An action with no intent journaled before it.
    NotJournaled(String),
    /// The same journaled action carried out twice.
    Repeated(String),
}

impl Violation {
    /// The invariant's name.
    pub fn kind(&self) -> &'static str {
        match self {
            Violation::SplitBrain(_) => "split brain",
            Violation::TwoLiveGroups(_) => "two live groups",
            Violation::BootstrapBesideLiveGroup(_) => "bootstrap beside a live group",
            Violation::BootstrapLosingCommits(_) => "bootstrap without acknowledged commits",
            Violation::DivergentGtids(_) => "one GTID, two transactions",
            Violation::AcknowledgedCommitLost(_) => "acknowledged commit lost",
            Violation::ActionWhilePaused(_) => "action while paused",
            Violation::BelowMajority(_) => "action below a majority",
            Violation::BelowFaultTolerance(_) => "action below the fault tolerance floor",
            Violation::TwoDisruptiveActionsInATick(_) => "two disruptive actions in one tick",
            Violation::NotJournaled(_) => "action not journaled first",
            Violation::Repeated(_) => "action repeated",
        }
    }

    fn detail(&self) -> &str {
        match self {
            Violation::SplitBrain(d)
            | Violation::TwoLiveGroups(d)
            | Violation::BootstrapBesideLiveGroup(d)
            | Violation::BootstrapLosingCommits(d)
            | Violation::DivergentGtids(d)
            | Violation::AcknowledgedCommitLost(d)
            | Violation::ActionWhilePaused(d)
            | Violation::BelowMajority(d)
            | Violation::BelowFaultTolerance(d)
            | Violation::TwoDisruptiveActionsInATick(d)
            | Violation::NotJournaled(d)
            | Violation::Repeated(d) => d,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind(), self.detail())
    }
}

/// How a schedule ended once its faults stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Liveness {
    /// Every inventory member ONLINE in one group, after this many ticks and simulated seconds.
    Converged {
        /// Scheduled ticks from the end of the faults.
        ticks: u32,
        /// Simulated seconds from the end of the faults.
        secs: u64,
    },
    /// Not converged, with open incidents saying what a person must do (finding kinds).
    Incident(Vec<String>),
    /// A liveness failure: why.
    Failed(String),
}

/// Every inventory member up, ONLINE, in the one group that has a majority, with its
/// transactions; no other group can commit.
pub fn converged(truth: &Truth, inventory: &[String]) -> bool {
    let [group] = truth.majority_groups()[..] else {
        return false;
    };
    let index = truth.groups.iter().position(|g| g == group);
    inventory.iter().all(|name| {
        truth.member(name).is_some_and(|m| {
            m.state.as_deref() == Some("ONLINE")
                && m.group == index
                && group.online.contains(name)
                && m.gtid_executed == group.gtid_executed
        })
    })
}

/// The checker's memory across the steps of one schedule.
#[derive(Debug)]
pub struct Checker {
    policy: Policy,
    acknowledged: GtidSet,
    bootstraps_seen: usize,
    reuses_seen: usize,
    /// Calls made per journaled action (its id) and what they were.
    per_intent: BTreeMap<(String, ActionKind, String), Vec<Done>>,
    /// Disruptive actions per tick.
    disruptive: BTreeMap<u32, Vec<String>>,
    violations: Vec<Violation>,
}

impl Checker {
    /// A checker for a cluster kept by `policy`.
    pub fn new(policy: Policy) -> Self {
        Checker {
            policy,
            acknowledged: GtidSet::new(),
            bootstraps_seen: 0,
            reuses_seen: 0,
            per_intent: BTreeMap::new(),
            disruptive: BTreeMap::new(),
            violations: Vec::new(),
        }
    }

    /// A client's commit was acknowledged.
    pub fn acknowledged(&mut self, gtids: &[String]) {
        for gtid in gtids {
            if let Ok(one) = gtid.parse::<GtidSet>() {
                self.acknowledged.union_with(&one);
            }
        }
    }

    /// Every acknowledged commit so far.
    pub fn acknowledged_commits(&self) -> &GtidSet {
        &self.acknowledged
    }

    /// The violations found so far.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Records the first violation of each invariant (later ones of the same kind add nothing a
    /// reader needs).
    fn violate(&mut self, violation: Violation) {
        if !self.violations.iter().any(|v| v.kind() == violation.kind()) {
            self.violations.push(violation);
        }
    }

    /// Judges the truth after a step, and the actions recorded since the last step.
    pub fn step(&mut self, truth: &Truth, actions: &[ActionRecord]) {
        self.groups(truth);
        for bootstrap in truth.bootstraps.iter().skip(self.bootstraps_seen) {
            if !bootstrap.live.is_empty() {
                self.violate(Violation::BootstrapBesideLiveGroup(format!(
                    "{} bootstrapped group #{} at {} ms while [{}] were live",
                    bootstrap.member,
                    bootstrap.incarnation,
                    bootstrap.at_ms,
                    bootstrap.live.join(", ")
                )));
            }
            let from: GtidSet = bootstrap.gtid_executed.parse().unwrap_or_default();
            let missing = self.acknowledged.subtract(&from);
            if !missing.is_empty() {
                self.violate(Violation::BootstrapLosingCommits(format!(
                    "{} bootstrapped group #{} at {} ms without acknowledged {missing}",
                    bootstrap.member, bootstrap.incarnation, bootstrap.at_ms
                )));
            }
        }
        self.bootstraps_seen = truth.bootstraps.len();
        for reuse in truth.reused_gtids.iter().skip(self.reuses_seen) {
            self.violate(Violation::DivergentGtids(format!(
                "{} issued {} again at {} ms",
                reuse.member, reuse.gtids, reuse.at_ms
            )));
        }
        self.reuses_seen = truth.reused_gtids.len();
        for record in actions {
            self.action(record);
        }
    }

    /// At the end: a converged group holds every acknowledged commit.
    pub fn end(&mut self, truth: &Truth, converged: bool) {
        if !converged {
            return;
        }
        let held: GtidSet = truth
            .majority_groups()
            .first()
            .and_then(|g| g.gtid_executed.parse().ok())
            .unwrap_or_default();
        let missing = self.acknowledged.subtract(&held);
        if !missing.is_empty() {
            self.violate(Violation::AcknowledgedCommitLost(format!(
                "the converged group lacks {missing}"
            )));
        }
    }

    fn groups(&mut self, truth: &Truth) {
        if truth.split_brain() {
            self.violate(Violation::SplitBrain(truth.summary()));
        }
        let mut live: Vec<u64> = truth
            .members
            .iter()
            .filter(|m| matches!(m.state.as_deref(), Some("ONLINE" | "RECOVERING")))
            .filter_map(|m| truth.groups.get(m.group?).map(|g| g.incarnation))
            .collect();
        live.sort_unstable();
        live.dedup();
        if live.len() > 1 {
            self.violate(Violation::TwoLiveGroups(truth.summary()));
        }
    }

    fn action(&mut self, record: &ActionRecord) {
        let what = format!(
            "{} on {} in tick {}",
            record.done.name(),
            record.instance,
            record.tick
        );
        let history = match &record.journal {
            Ok(history) => history,
            Err(e) => {
                // The checker's own read failed: judge what does not need the journal.
                self.ground(record, &what);
                let _ = e;
                return;
            }
        };
        if history.paused.is_some() || history.paused_instances.contains_key(&record.instance) {
            self.violate(Violation::ActionWhilePaused(what.clone()));
        }
        let pending: Vec<&PastAction> = history
            .actions
            .iter()
            .filter(|a| a.outcome == Outcome::Pending && a.instance == record.instance)
            .filter(|a| journaled_as(record.done).contains(&a.kind))
            .collect();
        match pending.last() {
            None => self.violate(Violation::NotJournaled(format!(
                "{what}: no pending intent for it in the journal"
            ))),
            Some(intent) => {
                let key = (intent.at.to_rfc3339(), intent.kind, intent.instance.clone());
                let done = self.per_intent.entry(key).or_default();
                let again = done.contains(&record.done);
                done.push(record.done);
                if again {
                    self.violate(Violation::Repeated(format!(
                        "{what}: the {} journaled at {} was already carried out",
                        intent.kind, intent.at
                    )));
                }
                let stop_first =
                    record.done == Done::Call(Procedure::Stop) && intent.kind != ActionKind::Expel;
                if intent.kind.is_disruptive() && !stop_first {
                    let tick = self.disruptive.entry(record.tick).or_default();
                    tick.push(what.clone());
                    if tick.len() > 1 {
                        let all = tick.join("; ");
                        self.violate(Violation::TwoDisruptiveActionsInATick(all));
                    }
                }
            }
        }
        self.ground(record, &what);
    }

    /// The checks on the truth at the action's instant: majority and fault tolerance.
    fn ground(&mut self, record: &ActionRecord, what: &str) {
        let removes = matches!(
            record.done,
            Done::Reboot | Done::Maintenance | Done::Call(Procedure::Stop)
        );
        if !removes {
            return;
        }
        let Some((after, view)) = record.truth.online_without(&record.instance) else {
            return;
        };
        let majority = view / 2 + 1;
        if after < majority {
            self.violate(Violation::BelowMajority(format!(
                "{what}: {after} ONLINE left of a view of {view}"
            )));
        }
        let tolerance = u32::try_from(after.saturating_sub(1) / 2).unwrap_or(u32::MAX);
        if tolerance < self.policy.fault_tolerance_floor {
            self.violate(Violation::BelowFaultTolerance(format!(
                "{what}: {after} ONLINE left tolerate {tolerance} failure(s), the floor is {}",
                self.policy.fault_tolerance_floor
            )));
        }
    }
}

/// The journaled kinds an action may carry out: a stop is an expel, or the first half of a
/// rejoin or bootstrap of a member in ERROR; a reboot is a repair or a rolling-maintenance step.
fn journaled_as(done: Done) -> &'static [ActionKind] {
    match done {
        Done::Reboot => &[ActionKind::Reboot, ActionKind::Maintenance],
        Done::Maintenance => &[ActionKind::Maintenance],
        Done::Call(Procedure::StartJoin) => &[ActionKind::Rejoin],
        Done::Call(Procedure::StartBootstrap) => &[ActionKind::Bootstrap],
        Done::Call(Procedure::Stop) => {
            &[ActionKind::Expel, ActionKind::Rejoin, ActionKind::Bootstrap]
        }
        Done::Call(Procedure::AdvanceGtid { .. }) => &[ActionKind::SyncGtids],
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use gr_sim::{Bootstrap, Cluster, Reuse, SimConfig};
    use grkeeper::snapshot::{History, Pause};

    use super::*;

    async fn healthy() -> Truth {
        Cluster::start(SimConfig::with_members(3))
            .await
            .unwrap()
            .truth()
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + secs, 0).unwrap()
    }

    fn pending(kind: ActionKind, instance: &str, secs: i64) -> PastAction {
        PastAction {
            kind,
            instance: instance.into(),
            at: at(secs),
            outcome: Outcome::Pending,
            placeholders: None,
            maintenance: None,
        }
    }

    fn record(
        tick: u32,
        instance: &str,
        done: Done,
        truth: &Truth,
        history: History,
    ) -> ActionRecord {
        ActionRecord {
            tick,
            instance: instance.into(),
            done,
            truth: truth.clone(),
            journal: Ok(history),
        }
    }

    fn kinds(checker: &Checker) -> Vec<&'static str> {
        checker.violations().iter().map(Violation::kind).collect()
    }

    #[tokio::test]
    async fn an_action_is_judged_by_the_intent_journaled_before_it() {
        let truth = healthy().await;
        let rejoin = History {
            actions: vec![pending(ActionKind::Rejoin, "db2", 0)],
            ..History::default()
        };
        let mut checker = Checker::new(Policy::default());
        // A stop, then the start, of one rejoin of a member in ERROR: one action.
        let stop = record(
            1,
            "db2",
            Done::Call(Procedure::Stop),
            &truth,
            rejoin.clone(),
        );
        let start = record(
            1,
            "db2",
            Done::Call(Procedure::StartJoin),
            &truth,
            rejoin.clone(),
        );
        checker.step(&truth, &[stop, start.clone()]);
        assert!(
            checker.violations().is_empty(),
            "{:?}",
            checker.violations()
        );
        // The same start again under the same intent: repeated.
        checker.step(&truth, &[start]);
        assert_eq!(kinds(&checker), ["action repeated"]);
        // A start nobody journaled.
        let bare = record(
            2,
            "db3",
            Done::Call(Procedure::StartJoin),
            &truth,
            History::default(),
        );
        checker.step(&truth, &[bare]);
        assert_eq!(
            kinds(&checker),
            ["action repeated", "action not journaled first"]
        );
    }

    #[tokio::test]
    async fn a_second_disruptive_action_in_a_tick_and_an_action_while_paused_are_violations() {
        let truth = healthy().await;
        let mut checker = Checker::new(Policy::default());
        let reboots = History {
            actions: vec![
                pending(ActionKind::Reboot, "db2", 0),
                pending(ActionKind::Reboot, "db3", 1),
            ],
            ..History::default()
        };
        let first = record(4, "db2", Done::Reboot, &truth, reboots.clone());
        let second = record(4, "db3", Done::Reboot, &truth, reboots.clone());
        checker.step(&truth, &[first]);
        assert!(
            checker.violations().is_empty(),
            "{:?}",
            checker.violations()
        );
        checker.step(&truth, &[second]);
        assert!(kinds(&checker).contains(&"two disruptive actions in one tick"));

        let mut paused = reboots;
        paused.paused_instances.insert(
            "db2".into(),
            Pause {
                until: at(600),
                reason: "maintenance".into(),
                by: "dba".into(),
            },
        );
        let mut checker = Checker::new(Policy::default());
        checker.step(&truth, &[record(5, "db2", Done::Reboot, &truth, paused)]);
        assert_eq!(kinds(&checker), ["action while paused"]);
    }

    #[tokio::test]
    async fn removing_an_online_member_below_a_majority_or_the_floor_is_a_violation() {
        let mut truth = healthy().await;
        let expel = History {
            actions: vec![pending(ActionKind::Expel, "db1", 0)],
            ..History::default()
        };
        let stop = Done::Call(Procedure::Stop);
        // Three ONLINE: one may go (two left of three), but not below a floor of one failure.
        let floor = Policy {
            fault_tolerance_floor: 1,
            ..Policy::default()
        };
        let mut checker = Checker::new(floor);
        checker.step(&truth, &[record(1, "db1", stop, &truth, expel.clone())]);
        assert_eq!(kinds(&checker), ["action below the fault tolerance floor"]);
        // One of three already out: the next leaves one of three.
        truth.groups[0].online.retain(|m| m != "db3");
        let mut checker = Checker::new(Policy::default());
        checker.step(&truth, &[record(1, "db1", stop, &truth, expel)]);
        assert_eq!(kinds(&checker), ["action below a majority"]);
    }

    #[tokio::test]
    async fn the_truth_s_record_of_bootstraps_and_gtids_is_judged() {
        let mut truth = healthy().await;
        let mut checker = Checker::new(Policy::default());
        checker.step(&truth, &[]);
        assert!(
            checker.violations().is_empty(),
            "the start's bootstrap is fine"
        );
        checker.acknowledged(&["9f0bd6a2-5d7f-11ee-b8ec-0ec88c43c251:4".to_owned()]);
        truth.bootstraps.push(Bootstrap {
            at_ms: 1000,
            member: "db3".into(),
            incarnation: 2,
            gtid_executed: "9f0bd6a2-5d7f-11ee-b8ec-0ec88c43c251:1-3".into(),
            live: vec!["db1:1".into()],
        });
        truth.reused_gtids.push(Reuse {
            at_ms: 2000,
            member: "db1".into(),
            gtids: "9f0bd6a2-5d7f-11ee-b8ec-0ec88c43c251:4".into(),
        });
        checker.step(&truth, &[]);
        assert_eq!(
            kinds(&checker),
            [
                "bootstrap beside a live group",
                "bootstrap without acknowledged commits",
                "one GTID, two transactions"
            ]
        );
        // The converged group lacks the acknowledged :4.
        checker.end(&truth, true);
        assert!(kinds(&checker).contains(&"acknowledged commit lost"));
        assert!(converged(&healthy().await, &["db1".into(), "db2".into()]));
    }

    #[tokio::test]
    async fn a_second_group_able_to_commit_is_split_brain_and_two_live_groups() {
        let mut truth = healthy().await;
        let mut second = truth.groups[0].clone();
        second.incarnation = 2;
        second.view = vec!["db3".into()];
        truth.groups[0].view.retain(|m| m != "db3");
        truth.groups.push(second);
        truth.members[2].group = Some(1);
        let mut checker = Checker::new(Policy::default());
        checker.step(&truth, &[]);
        assert_eq!(kinds(&checker), ["split brain", "two live groups"]);
        assert!(!converged(&truth, &["db1".into(), "db3".into()]));
    }
}
