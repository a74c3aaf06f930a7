//! Runs one schedule: the stage, then every step (faults, client writes, time passing with a
//! scheduled tick every minute and a tick for every RDS event, late, duplicated, concurrent or
//! lost as its channel decides), the checker after each; then the faults stop (the network
//! heals, RDS restarts what crashed, a person starts what they stopped) and the cluster gets a
//! bounded number of scheduled ticks to converge.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use gr_sim::{Cluster, Fault as SimFault, RdsEvent};
use grkeeper::keeper::{ClusterOutcome, TickOptions};
use grkeeper::ports::Ports;
use grkeeper::ports::clock::Clock;
use grkeeper::ports::journal::Journal;
use grkeeper::snapshot::{ActionKind, Approval, Pause};
use grkeeper::trigger::{self, Trigger};
use grkeeper_demo::sim::{Reply, run_statement};
use grkeeper_e2e::moto::Moto;
use tokio::sync::OnceCell;

use crate::checker::{Checker, Liveness, Violation, converged};
use crate::ports::UnsafePlanner;
use crate::rng::Rng;
use crate::schedule::{Aws, Delivery, Fault, Schedule, Step};
use crate::stage::{Stage, StageError, release_aws_resources};
use crate::tap::as_tick;

/// The schedule's sweep: once a minute.
const SWEEP: Duration = Duration::from_secs(60);
/// Scheduled ticks a cluster gets to converge once the faults stop: two hours, longer than every
/// window of the default policy (cooldown, hourly budgets), so a repair a budget holds back
/// still comes.
pub const QUIET_TICKS: u32 = 130;
/// A converged cluster must stay so for this many more ticks.
const STABLE_TICKS: u32 = 2;
/// A cluster that is not to converge by itself is judged once nothing changed for this many
/// ticks with an incident open, or (with none) for longer than the policy's hourly windows, after
/// which no repair a budget held back can still come.
const SETTLED_TICKS: u32 = 10;
const SETTLED_WITHOUT_INCIDENT: u32 = 65;

/// What a run needs besides the schedule.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// A planted unsafe planner (the checker's own test).
    pub planner: Option<UnsafePlanner>,
    /// The moto server the moto schedules share (started by the first one; clones share it).
    pub moto: Arc<OnceCell<Moto>>,
    /// Print every step as it happens.
    pub verbose: bool,
    /// The test of a batch's bound on one schedule: the schedule of this seed never ends once
    /// its stage is up, as a tick waiting forever would leave it.
    pub hang: Option<u64>,
}

/// What one schedule did and how it was judged.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The seed.
    pub seed: u64,
    /// The AWS side it ran on.
    pub aws: Aws,
    /// Inventory members.
    pub members: usize,
    /// The faults it injected (those the simulator accepted), numbered.
    pub faults: Vec<(usize, Fault)>,
    /// Broken safety invariants.
    pub violations: Vec<Violation>,
    /// How it ended.
    pub liveness: Liveness,
    /// Ticks run.
    pub ticks: u32,
    /// Actions that reached the cluster, by kind.
    pub actions: BTreeMap<&'static str, u32>,
    /// Whether grkeeper alone had to bring it back.
    pub repairable: bool,
    /// The step log (kept for a failing run and for `--replay`).
    pub log: Vec<String>,
}

impl Outcome {
    /// Anything wrong: a violation or a liveness failure.
    pub fn failed(&self) -> bool {
        !self.violations.is_empty() || matches!(self.liveness, Liveness::Failed(_))
    }

    /// What a failure is, to tell whether a shrunk schedule still fails the same way.
    pub fn signature(&self) -> Vec<&'static str> {
        let mut kinds: Vec<&'static str> = self.violations.iter().map(Violation::kind).collect();
        if matches!(self.liveness, Liveness::Failed(_)) {
            kinds.push("liveness");
        }
        kinds.sort_unstable();
        kinds.dedup();
        kinds
    }
}

/// Runs `schedule`.
pub async fn run(schedule: &Schedule, options: &RunOptions) -> Result<Outcome, StageError> {
    match schedule.aws {
        Aws::Memory => {
            let stage = Stage::in_memory(schedule, options.planner).await?;
            Run::new(stage, schedule, options).go().await
        }
        Aws::Moto => {
            let moto = options
                .moto
                .get_or_try_init(Moto::start)
                .await
                .map_err(grkeeper_e2e::harness::HarnessError::from)?;
            let stage = Stage::on_moto(schedule, options.planner, moto).await?;
            let outcome = Run::new(stage, schedule, options).go().await;
            release_aws_resources(moto, &schedule.shape).await?;
            outcome
        }
    }
}

struct Run<'s, P: Ports> {
    stage: Stage<P>,
    schedule: &'s Schedule,
    options: &'s RunOptions,
    checker: Checker,
    inventory: Vec<String>,
    next_tick: u32,
    next_sweep: Duration,
    events_seen: usize,
    late: Vec<(Duration, Trigger)>,
    paused: Vec<Option<String>>,
    faults: Vec<(usize, Fault)>,
    actions: BTreeMap<&'static str, u32>,
    actions_seen: usize,
    log: Vec<String>,
}

impl<'s, P: Ports> Run<'s, P> {
    fn new(stage: Stage<P>, schedule: &'s Schedule, options: &'s RunOptions) -> Self {
        Run {
            checker: Checker::new(schedule.policy.clone()),
            inventory: schedule.shape.inventory(),
            next_sweep: stage.sim.now(),
            stage,
            schedule,
            options,
            next_tick: 1,
            events_seen: 0,
            late: Vec::new(),
            paused: Vec::new(),
            faults: Vec::new(),
            actions: BTreeMap::new(),
            actions_seen: 0,
            log: Vec::new(),
        }
    }

    fn sim(&self) -> &Arc<Cluster> {
        &self.stage.sim
    }

    fn note(&mut self, line: String) {
        let line = format!("[{:>6} s] {line}", self.sim().now().as_secs());
        if self.options.verbose {
            // A closed stdout (the replay piped into `head`) only stops the printing.
            let _ = writeln!(std::io::stdout().lock(), "{line}");
        }
        self.log.push(line);
    }

    async fn go(mut self) -> Result<Outcome, StageError> {
        self.note(format!("start: {}", self.sim().truth().summary()));
        if self.options.hang == Some(self.schedule.seed) {
            std::future::pending::<()>().await;
        }
        for step in &self.schedule.steps {
            match step {
                Step::Wait(d) => self.wait(*d).await,
                Step::Commit(count) => self.commit(*count),
                Step::Fault(n, fault) => {
                    self.note(format!("fault {n}: {fault}"));
                    match self.fault(fault).await {
                        Ok(()) => self.faults.push((*n, fault.clone())),
                        Err(why) => self.note(format!("fault {n} not applicable: {why}")),
                    }
                    self.settle().await;
                    self.check();
                    self.deliver_events().await;
                }
            }
        }
        let liveness = self.quiet().await;
        let truth = self.sim().truth();
        self.checker
            .end(&truth, matches!(liveness, Liveness::Converged { .. }));
        self.note(format!("end: {}; {liveness:?}", truth.summary()));
        Ok(Outcome {
            seed: self.schedule.seed,
            aws: self.schedule.aws,
            members: self.inventory.len(),
            repairable: self.must_converge(&truth),
            faults: self.faults,
            violations: self.checker.violations().to_vec(),
            liveness,
            ticks: self.next_tick - 1,
            actions: self.actions,
            log: self.log,
        })
    }

    /// Lets the simulator's listeners and connections see the last change.
    async fn settle(&self) {
        for _ in 0..8 {
            tokio::task::yield_now().await;
        }
    }

    fn check(&mut self) {
        let truth = self.sim().truth();
        let actions = self.stage.tap.actions_since(self.actions_seen);
        self.actions_seen += actions.len();
        for record in &actions {
            *self.actions.entry(record.done.name()).or_default() += 1;
        }
        let before = self.checker.violations().len();
        self.checker.step(&truth, &actions);
        let new: Vec<String> = self.checker.violations()[before..]
            .iter()
            .map(|v| format!("VIOLATION {v}"))
            .collect();
        for line in new {
            self.note(line);
        }
    }

    /// Simulated time passes: a scheduled tick at every minute, late events when they are due.
    async fn wait(&mut self, d: Duration) {
        let until = self.sim().now() + d;
        loop {
            let now = self.sim().now();
            let next_late = self.late.iter().map(|(at, _)| *at).min();
            let stop = [Some(until), Some(self.next_sweep), next_late]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(until)
                .max(now);
            if stop > now {
                let _ = self.sim().advance(stop - now);
                self.settle().await;
                self.check();
            }
            if self.next_sweep <= stop {
                self.next_sweep = stop + SWEEP;
                self.tick(vec![sweep()], "schedule").await;
            }
            let due: Vec<Trigger> = {
                let (due, later): (Vec<_>, Vec<_>) =
                    self.late.drain(..).partition(|(at, _)| *at <= stop);
                self.late = later;
                due.into_iter().map(|(_, t)| t).collect()
            };
            for trigger in due {
                self.tick(vec![trigger], "late event").await;
            }
            self.deliver_events().await;
            if stop >= until {
                return;
            }
        }
    }

    /// Runs one tick per trigger, all at once, then checks.
    async fn tick(&mut self, triggers: Vec<Trigger>, why: &str) {
        let keeper = &self.stage.keeper;
        let tap = &self.stage.tap;
        let mut runs = Vec::new();
        for trigger in &triggers {
            let id = self.next_tick;
            self.next_tick += 1;
            let cut = tap.start_tick(id);
            let options = TickOptions {
                owner: format!("chaos-tick-{id}"),
                dry_run: false,
                deadline: None,
                emit_metrics: false,
            };
            runs.push(async move {
                let tick = as_tick(id, keeper.tick(trigger, &options));
                let result = tokio::select! {
                    biased;
                    () = cut.notified() => None,
                    result = tick => Some(result),
                };
                (id, result)
            });
        }
        let results = futures_util::future::join_all(runs).await;
        for (id, result) in results {
            let (line, skipped) = match result {
                None => ("cut off".to_owned(), false),
                Some(Err(e)) => (format!("failed to start: {e}"), false),
                Some(Ok(summary)) => {
                    let mut skipped = false;
                    let lines: Vec<String> = summary
                        .clusters
                        .iter()
                        .map(|c| {
                            skipped |= c.outcome == ClusterOutcome::SkippedLeaseHeld;
                            let actions: Vec<String> = c
                                .actions
                                .iter()
                                .map(|a| {
                                    let resumed = if a.resumed { " (resumed)" } else { "" };
                                    format!("{} {} {:?}{resumed}", a.kind, a.instance, a.verdict)
                                })
                                .collect();
                            let refused: Vec<String> = c
                                .plan
                                .iter()
                                .flat_map(|p| &p.refused)
                                .map(|r| format!("{} {} ({:?})", r.action, r.instance, r.guard))
                                .collect();
                            let findings: Vec<String> = c
                                .plan
                                .iter()
                                .flat_map(|p| &p.findings)
                                .filter(|_| self.options.verbose)
                                .map(|f| {
                                    format!(
                                        "{:?}{}",
                                        f.kind,
                                        f.instance
                                            .as_ref()
                                            .map(|i| format!(" {i}"))
                                            .unwrap_or_default()
                                    )
                                })
                                .collect();
                            format!(
                                "{:?}{}{}{}{}",
                                c.outcome,
                                if findings.is_empty() {
                                    String::new()
                                } else {
                                    format!(" findings: {}", findings.join(", "))
                                },
                                if actions.is_empty() {
                                    String::new()
                                } else {
                                    format!(" acted: {}", actions.join(", "))
                                },
                                if refused.is_empty() {
                                    String::new()
                                } else {
                                    format!(" refused: {}", refused.join(", "))
                                },
                                c.error
                                    .as_ref()
                                    .map(|e| format!(" error: {e}"))
                                    .unwrap_or_default()
                            )
                        })
                        .collect();
                    (lines.join(" / "), skipped)
                }
            };
            self.stage.tap.end_tick(id, skipped);
            self.note(format!("tick {id} ({why}): {line}"));
        }
        self.settle().await;
        self.check();
    }

    /// Delivers the RDS events the simulator emitted since the last look, each as its channel
    /// decides (keyed by the event, so shrinking does not change the others' fate).
    async fn deliver_events(&mut self) {
        let events = self.sim().rds().events();
        let new: Vec<(usize, RdsEvent)> = events
            .into_iter()
            .enumerate()
            .skip(self.events_seen)
            .collect();
        self.events_seen += new.len();
        for (index, event) in new {
            let key = format!("event {index} {} {}", event.event_id, event.instance);
            let mut rng = Rng::keyed(self.schedule.seed, &key);
            let delivery = match rng.below(100) {
                0..75 => Delivery::Once,
                75..83 => Delivery::Twice,
                83..88 => Delivery::Concurrent,
                88..95 => Delivery::Late(rng.between(30, 600)),
                _ => Delivery::Lost,
            };
            self.event(&event.instance, &event.event_id, delivery).await;
        }
    }

    async fn event(&mut self, instance: &str, event_id: &str, delivery: Delivery) {
        let trigger = match rds_event(instance, event_id, self.stage.clock.now()) {
            Ok(trigger) => trigger,
            Err(e) => {
                self.note(format!(
                    "event {event_id} about {instance} does not parse: {e}"
                ));
                return;
            }
        };
        let why = format!("{event_id} {instance} {delivery:?}");
        match delivery {
            Delivery::Once => self.tick(vec![trigger], &why).await,
            Delivery::Twice => {
                self.tick(vec![trigger.clone()], &why).await;
                self.tick(vec![trigger], &why).await;
            }
            Delivery::Concurrent => self.tick(vec![trigger.clone(), trigger], &why).await,
            Delivery::Late(secs) => {
                let at = self.sim().now() + Duration::from_secs(secs);
                self.late.push((at, trigger));
            }
            Delivery::Lost => self.note(format!("event lost: {why}")),
        }
    }

    /// A client commits `count` transactions on a writable member, if there is one.
    fn commit(&mut self, count: u64) {
        let truth = self.sim().truth();
        let writable: Vec<String> = truth
            .members
            .iter()
            .filter(|m| m.state.as_deref() == Some("ONLINE") && !m.super_read_only)
            .filter(|m| {
                m.group
                    .and_then(|g| truth.groups.get(g))
                    .is_some_and(|g| g.has_majority)
            })
            .map(|m| m.name.clone())
            .collect();
        let key = format!("commit at {}", truth.now_ms);
        let Some(member) = Rng::keyed(self.schedule.seed, &key)
            .pick(&writable)
            .cloned()
        else {
            self.note(format!("no writable member for {count} commits"));
            return;
        };
        match self.sim().commit(&member, count) {
            Ok(gtids) => {
                self.checker.acknowledged(&gtids);
                self.note(format!("{count} commits acknowledged on {member}"));
            }
            Err(e) => self.note(format!("{count} commits on {member} refused: {e}")),
        }
    }

    /// Applies one fault; `Err` says why it did not apply (the simulator refused it).
    async fn fault(&mut self, fault: &Fault) -> Result<(), String> {
        let sim = Arc::clone(self.sim());
        let inject = |f: SimFault| sim.inject(f).map(drop).map_err(|e| e.to_string());
        let member = |m: &str| m.to_owned();
        match fault {
            Fault::Crash(m) => inject(SimFault::Crash { member: member(m) }),
            Fault::Restart(m) => inject(SimFault::Restart { member: member(m) }),
            Fault::RdsReboot(m, secs) => sim
                .rds()
                .reboot_lasting(m, Duration::from_secs(*secs))
                .map_err(|e| e.to_string()),
            Fault::RdsStop(m) => sim.rds().stop(m).map_err(|e| e.to_string()),
            Fault::RdsStart(m) => sim.rds().start(m).map_err(|e| e.to_string()),
            Fault::Partition(side) => inject(SimFault::Partition {
                sides: vec![side.clone()],
            }),
            Fault::Heal => inject(SimFault::Heal),
            Fault::Blackhole(m, on) => inject(SimFault::Blackhole {
                member: member(m),
                on: *on,
            }),
            Fault::Slow(m, ms) => inject(SimFault::Latency {
                member: member(m),
                ms: *ms,
            }),
            Fault::ApplierError(m) => inject(SimFault::ApplierError { member: member(m) }),
            Fault::PersonStopsGr(m) => {
                self.person(m, "CALL mysql.rds_group_replication_stop()")
                    .await
            }
            Fault::PersonStartsGr(m) => {
                self.person(m, "CALL mysql.rds_group_replication_start(0)")
                    .await
            }
            Fault::Errant(m) => inject(SimFault::ErrantTransaction {
                member: member(m),
                count: 1,
            }),
            Fault::PurgeBinlogs(m) => inject(SimFault::PurgeBinlogs {
                member: member(m),
                upto: None,
            }),
            Fault::Upgrade(m, version) => inject(SimFault::Upgrade {
                member: member(m),
                version: *version,
            }),
            Fault::CompleteOutage => inject(SimFault::CompleteOutage),
            Fault::StrangerJoins => match self.schedule.shape.stranger() {
                Some(stranger) => {
                    let stranger = stranger.to_owned();
                    self.person(&stranger, "CALL mysql.rds_group_replication_start(0)")
                        .await
                }
                None => Err("no stranger in this cluster".into()),
            },
            Fault::Restore(m, from) => inject(SimFault::Restore {
                member: member(m),
                from: member(from),
            }),
            Fault::ClockSkew(secs) => {
                self.stage.clock.skew(*secs);
                Ok(())
            }
            Fault::Cut(point) => {
                self.stage.tap.arm_cut(*point);
                Ok(())
            }
            Fault::Calls(calls) => {
                self.stage.arm_failure(*calls);
                Ok(())
            }
            Fault::Event(m, id, delivery) => {
                self.event(m, id, *delivery).await;
                Ok(())
            }
            Fault::ConcurrentTicks => {
                self.tick(vec![sweep(), sweep()], "two at once").await;
                Ok(())
            }
            Fault::Pause(target, secs) => {
                let pause = Pause {
                    until: self.stage.clock.now()
                        + chrono::TimeDelta::seconds(i64::try_from(*secs).unwrap_or(0)),
                    reason: "chaos: maintenance".into(),
                    by: "chaos".into(),
                };
                self.paused.push(target.clone());
                self.stage
                    .keeper
                    .journal
                    .pause(&self.stage.cluster, target.as_deref(), &pause)
                    .await
                    .map_err(|e| e.to_string())
            }
            Fault::Resume => {
                for target in std::mem::take(&mut self.paused) {
                    self.stage
                        .keeper
                        .journal
                        .resume(&self.stage.cluster, target.as_deref())
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Ok(())
            }
            Fault::ApproveBootstrap => {
                let approval = Approval {
                    action: ActionKind::Bootstrap,
                    instance: None,
                    // A person approves the bootstrap but gives up no member's transactions:
                    // the planner must still wait for every one it cannot read.
                    gives_up: Vec::new(),
                    expires: self.stage.clock.now() + chrono::TimeDelta::hours(3),
                    by: "chaos".into(),
                    gtids: None,
                };
                self.stage
                    .keeper
                    .journal
                    .approve(&self.stage.cluster, &approval)
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// A person types `statement` on `member`. A stop waits for the group's view, which takes
    /// simulated time: it is given up to the plugin's own wait, a second at a time; every
    /// statement takes the two seconds the procedures sleep.
    async fn person(&mut self, member: &str, statement: &str) -> Result<(), String> {
        let sim = Arc::clone(self.sim());
        let (member_owned, statement_owned) = (member.to_owned(), statement.to_owned());
        let mut typed =
            tokio::spawn(async move { run_statement(&sim, &member_owned, &statement_owned).await });
        for _ in 0..70 {
            for _ in 0..16 {
                tokio::task::yield_now().await;
                if typed.is_finished() {
                    break;
                }
            }
            if typed.is_finished() {
                break;
            }
            let _ = self.sim().advance(Duration::from_secs(1));
        }
        let reply = tokio::time::timeout(Duration::from_secs(10), &mut typed).await;
        // The RDS procedures sleep two seconds before they return: a person's next statement
        // comes later (and `mysql.rds_history` orders their rows).
        let _ = self.sim().advance(Duration::from_secs(2));
        match reply {
            Ok(Ok(Ok(Reply::Done(_)))) => Ok(()),
            Ok(Ok(Ok(Reply::Error { code, message }))) => Err(format!("ERROR {code}: {message}")),
            Ok(Ok(Err(e))) => Err(e.to_string()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => {
                typed.abort();
                Err("no answer".into())
            }
        }
    }

    /// The faults stop; the cluster gets [`QUIET_TICKS`] scheduled ticks to converge.
    async fn quiet(&mut self) -> Liveness {
        self.stop_faults().await;
        let started = self.sim().now();
        let mut converged_at: Option<(u32, Duration)> = None;
        let mut unchanged = 0;
        let mut last = String::new();
        for tick in 1..=QUIET_TICKS {
            self.wait(SWEEP).await;
            let truth = self.sim().truth();
            if converged(&truth, &self.inventory) {
                let at = *converged_at.get_or_insert((tick, self.sim().now() - started));
                if tick >= at.0 + STABLE_TICKS {
                    return Liveness::Converged {
                        ticks: at.0,
                        secs: at.1.as_secs(),
                    };
                }
                continue;
            }
            converged_at = None;
            if self.must_converge(&truth) {
                continue;
            }
            // A cluster only a person can fix: judged once nothing changes any more.
            let state = truth.summary();
            let now = format!("{state} {}", self.actions_seen);
            unchanged = if now == last { unchanged + 1 } else { 0 };
            last = now;
            let settled = unchanged >= SETTLED_WITHOUT_INCIDENT
                || unchanged >= SETTLED_TICKS
                    && self
                        .stage
                        .tap
                        .incidents()
                        .await
                        .is_ok_and(|open| !open.is_empty());
            if settled {
                break;
            }
        }
        let truth = self.sim().truth();
        if self.must_converge(&truth) {
            return Liveness::Failed(format!(
                "not converged {QUIET_TICKS} ticks after the faults stopped: {}",
                truth.summary()
            ));
        }
        match self.stage.tap.incidents().await {
            Ok(incidents) if !incidents.is_empty() => Liveness::Incident(
                incidents
                    .iter()
                    .map(|i| {
                        let step = grkeeper::report::runbook::next_step(i.kind);
                        format!("{:?}: {step}", i.kind)
                    })
                    .collect(),
            ),
            Ok(_) => Liveness::Failed(format!(
                "not converged and no open incident tells a person what to do: {}",
                truth.summary()
            )),
            Err(e) => Liveness::Failed(format!("the incidents cannot be read: {e}")),
        }
    }

    /// Whether grkeeper alone must bring the cluster back from `truth`: the faults that took
    /// effect are repairable, and if no group has a majority, the policy lets grkeeper bootstrap
    /// and the members stay up to be read (not with `ABORT_SERVER`).
    fn must_converge(&self, truth: &gr_sim::Truth) -> bool {
        let group_lives = !truth.majority_groups().is_empty();
        self.schedule.repairable(self.faults.iter().map(|(_, f)| f))
            && (group_lives
                || self.schedule.bootstrap_allowed()
                    && self.schedule.members_stay_up_without_a_group())
    }

    /// The end of the faults: the network heals, every member answers again at full speed, RDS
    /// restarts what crashed, a person starts what they stopped (when the schedule says so), the
    /// AWS side and grkeeper's clock are right again.
    async fn stop_faults(&mut self) {
        self.note("faults stop".into());
        if let Some(bridge) = &self.stage.bridge {
            bridge.heal();
        }
        self.stage.clock.skew(0);
        let sim = Arc::clone(self.sim());
        let _ = sim.heal();
        for member in sim.truth().members {
            let name = member.name.clone();
            let _ = sim.inject(SimFault::Blackhole {
                member: name.clone(),
                on: false,
            });
            let _ = sim.inject(SimFault::Latency {
                member: name.clone(),
                ms: 0,
            });
            let available = member.instance_status == gr_sim::InstanceStatus::Available;
            if !member.up
                && available
                && let Err(e) = sim.restart(&name)
            {
                self.note(format!("RDS cannot restart {name}: {e}"));
            }
            if member.instance_status == gr_sim::InstanceStatus::Stopped
                && self.schedule.person_starts_stopped
            {
                let _ = sim.rds().start(&name);
            }
        }
        self.settle().await;
        self.check();
        self.deliver_events().await;
    }
}

/// The sweep's scheduled event, as EventBridge delivers it (`events/schedule.json`).
const SCHEDULED_EVENT: &[u8] = br#"{"version": "0", "id": "chaos", "detail-type": "Scheduled Event", "source": "aws.events", "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1", "resources": ["arn:aws:events:us-east-1:123456789012:rule/grkeeper-sweep"], "detail": {}}"#;

/// The schedule's trigger: every cluster (the unit test proves the event parses, so the
/// fallback, the same trigger built directly, is never taken).
fn sweep() -> Trigger {
    trigger::parse(SCHEDULED_EVENT).unwrap_or(Trigger::Schedule(trigger::Schedule {
        cluster: None,
        time: None,
    }))
}

/// An RDS DB instance event as EventBridge delivers it (the shape of `events/*.json`).
fn rds_event(
    instance: &str,
    event_id: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Trigger, trigger::TriggerError> {
    let message = match event_id {
        "RDS-EVENT-0004" => "DB instance shutdown",
        "RDS-EVENT-0087" => "DB instance stopped",
        "RDS-EVENT-0088" => "DB instance started",
        _ => "DB instance restarted",
    };
    let event = RdsEvent {
        at: Duration::from_millis(u64::try_from(at.timestamp_millis()).unwrap_or_default()),
        instance: instance.to_owned(),
        event_id: event_id.to_owned(),
        message: message.to_owned(),
    };
    trigger::from_value(&event.eventbridge(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SimClock;

    #[test]
    fn the_sweep_and_every_rds_event_the_runner_sends_parse_as_grkeeper_reads_them() {
        assert!(matches!(
            trigger::parse(SCHEDULED_EVENT),
            Ok(Trigger::Schedule(_))
        ));
        let at = SimClock::date(Duration::from_secs(90));
        for id in [
            "RDS-EVENT-0004",
            "RDS-EVENT-0006",
            "RDS-EVENT-0087",
            "RDS-EVENT-0088",
        ] {
            let trigger = rds_event("c1-2", id, at).unwrap();
            assert!(matches!(trigger, Trigger::RdsInstanceEvent(_)), "{id}");
        }
    }
}
