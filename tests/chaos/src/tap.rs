//! What the wrapped ports of one schedule share ([`Tap`]): which tick is running, the faults armed
//! for it (a cut-off, failing AWS calls), the signal that cuts a tick off, and the record of every
//! action that reached the cluster, with what the simulator and the journal showed at that instant
//! (the checker's evidence).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use gr_sim::{Cluster, Truth};
use grkeeper::adapters::aws::dynamo::DynamoJournal;
use grkeeper::model::Endpoint;
use grkeeper::ports::clock::Clock;
use grkeeper::ports::journal::{Journal, MemoryJournal};
use grkeeper::ports::member_control::Procedure;
use grkeeper::snapshot::History;
use tokio::sync::Notify;

use crate::clock::SimClock;
use crate::schedule::{AwsFailure, CallFailure, CutPoint, Port};

tokio::task_local! {
    /// The tick the current task runs (set by the runner around each tick).
    static TICK: u32;
}

/// Runs `tick` as tick number `id`: the ports know which tick calls them.
pub async fn as_tick<F: Future>(id: u32, tick: F) -> F::Output {
    TICK.scope(id, tick).await
}

fn current_tick() -> u32 {
    TICK.try_with(|id| *id).unwrap_or(0)
}

/// A journal no fault touches, for the checker: the same memory, or DynamoDB directly (not
/// through the bridge).
#[derive(Debug, Clone)]
pub enum Reader {
    /// The in-memory journal the keeper writes (clones share it).
    Memory(MemoryJournal),
    /// The DynamoDB table, through a client that bypasses the bridge.
    Dynamo(DynamoJournal),
}

impl Reader {
    async fn history(&self, cluster: &str, clock: &SimClock) -> Result<History, String> {
        // Every action journaled in the last day, pending ones whatever their age.
        let lookback = Duration::from_secs(86_400);
        let now = clock.now();
        match self {
            Reader::Memory(journal) => journal.history(cluster, now, lookback).await,
            Reader::Dynamo(journal) => journal.history(cluster, now, lookback).await,
        }
        .map_err(|e| e.to_string())
    }
}

/// What reached the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// A procedure call on a member.
    Call(Procedure),
    /// RebootDBInstance.
    Reboot,
    /// ApplyPendingMaintenanceAction (opt-in `immediate`): RDS takes the instance down.
    Maintenance,
}

impl Done {
    /// What it is called on RDS.
    pub fn name(self) -> &'static str {
        match self {
            Done::Reboot => "RebootDBInstance",
            Done::Maintenance => "ApplyPendingMaintenanceAction",
            Done::Call(Procedure::StartJoin) => "rds_group_replication_start(0)",
            Done::Call(Procedure::StartBootstrap) => "rds_group_replication_start(1)",
            Done::Call(Procedure::Stop) => "rds_group_replication_stop()",
            Done::Call(Procedure::AdvanceGtid { .. }) => "rds_group_replication_advance_gtid()",
        }
    }
}

/// One action as it reached the cluster, with the evidence the checker judges it by.
#[derive(Debug, Clone)]
pub struct ActionRecord {
    /// The tick that took it.
    pub tick: u32,
    /// Its instance.
    pub instance: String,
    /// What was done.
    pub done: Done,
    /// The simulator's truth just before.
    pub truth: Truth,
    /// The journal just before, as no fault shows it.
    pub journal: Result<History, String>,
}

/// A wrapped call as the tap let it in: its number in the tick, and what it must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The call's number in its tick (0 outside a tick).
    pub call: u32,
    /// What it must do.
    pub gate: Gate,
}

/// What a wrapped call must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Go ahead.
    Go,
    /// Fail without doing anything (throttled, a server error).
    Fail(AwsFailure),
    /// Do it, then fail as if the reply were lost.
    LoseReply,
    /// The tick is cut off before this call.
    Cut,
}

/// Faults armed for one tick.
#[derive(Debug, Clone, Default)]
struct Armed {
    cut: Option<CutPoint>,
    failures: Vec<CallFailure>,
    calls: u32,
}

/// The state the wrapped ports of one schedule share.
#[derive(Debug)]
pub struct Tap {
    sim: Arc<Cluster>,
    clock: SimClock,
    cluster: String,
    instances: BTreeMap<Endpoint, String>,
    reader: Reader,
    /// Which ports the wrappers inject failures on (moto's go through the bridge instead).
    inject: fn(Port) -> bool,
    state: Mutex<State>,
    cut: Mutex<BTreeMap<u32, Arc<Notify>>>,
}

#[derive(Debug, Default)]
struct State {
    next: Armed,
    ticks: BTreeMap<u32, Armed>,
    actions: Vec<ActionRecord>,
}

impl Tap {
    /// The tap of one schedule: `instances` maps each member's address to its instance id.
    pub fn new(
        sim: Arc<Cluster>,
        clock: SimClock,
        cluster: String,
        instances: BTreeMap<Endpoint, String>,
        reader: Reader,
        inject: fn(Port) -> bool,
    ) -> Arc<Tap> {
        Arc::new(Tap {
            sim,
            clock,
            cluster,
            instances,
            reader,
            inject,
            state: Mutex::new(State::default()),
            cut: Mutex::new(BTreeMap::new()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next tick is cut off at `point`.
    pub fn arm_cut(&self, point: CutPoint) {
        self.lock().next.cut = Some(point);
    }

    /// The next tick's calls fail so.
    pub fn arm_failure(&self, calls: CallFailure) {
        self.lock().next.failures.push(calls);
    }

    /// Tick `id` starts: it takes the armed faults; returns the signal that it is cut off.
    pub fn start_tick(&self, id: u32) -> Arc<Notify> {
        let mut state = self.lock();
        let armed = std::mem::take(&mut state.next);
        state.ticks.insert(id, armed);
        drop(state);
        let notify = Arc::new(Notify::new());
        self.cut
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, Arc::clone(&notify));
        notify
    }

    /// Tick `id` ended. `skipped`: it found the lease held and did nothing, so the faults it did
    /// not meet stay armed for the next tick.
    pub fn end_tick(&self, id: u32, skipped: bool) {
        let mut state = self.lock();
        if let Some(mut armed) = state.ticks.remove(&id)
            && skipped
        {
            armed.failures.retain(|calls| calls.times > 0);
            armed.calls = 0;
            state.next = armed;
        }
        drop(state);
        self.cut
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    fn cut_now(&self, tick: u32) {
        if let Some(notify) = self
            .cut
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&tick)
        {
            notify.notify_one();
        }
    }

    /// A wrapped call to `port` (`op`) starts: its number, and what it must do.
    pub fn enter(&self, port: Port, op: &'static str) -> Entry {
        let tick = current_tick();
        let inject = (self.inject)(port);
        let mut state = self.lock();
        let Some(armed) = state.ticks.get_mut(&tick) else {
            return Entry {
                call: 0,
                gate: Gate::Go,
            };
        };
        armed.calls += 1;
        let call = armed.calls;
        let gate = |gate| Entry { call, gate };
        if armed.cut == Some(CutPoint::BeforeCall(call)) {
            armed.cut = None;
            drop(state);
            self.cut_now(tick);
            return gate(Gate::Cut);
        }
        if !inject {
            return gate(Gate::Go);
        }
        let failing = armed.failures.iter_mut().find(|calls| {
            calls.port == port && calls.op.is_none_or(|o| o == op) && calls.times > 0
        });
        match failing {
            Some(calls) => {
                calls.times -= 1;
                gate(match calls.failure {
                    AwsFailure::LostReply => Gate::LoseReply,
                    other => Gate::Fail(other),
                })
            }
            None => gate(Gate::Go),
        }
    }

    /// The wrapped call number `call` was made; `milestone` names what it was when it is one a
    /// cut may follow (`AfterIntent`, `AfterAction`, `AfterOutcome`). True: the tick is cut off
    /// now.
    pub fn left(&self, call: u32, milestone: Option<CutPoint>) -> bool {
        let tick = current_tick();
        let mut state = self.lock();
        let Some(armed) = state.ticks.get_mut(&tick) else {
            return false;
        };
        let cut = match armed.cut {
            Some(CutPoint::AfterCall(n)) => n == call,
            Some(point) => milestone == Some(point),
            None => false,
        };
        if cut {
            armed.cut = None;
            drop(state);
            self.cut_now(tick);
        }
        cut
    }

    /// The instance a member address belongs to.
    pub fn instance_at(&self, endpoint: &Endpoint) -> String {
        self.instances
            .get(endpoint)
            .cloned()
            .unwrap_or_else(|| endpoint.to_string())
    }

    /// The evidence an action is judged by, taken just before it is sent: the truth and the
    /// journal now.
    pub async fn evidence(&self, instance: String, done: Done) -> ActionRecord {
        ActionRecord {
            tick: current_tick(),
            instance,
            done,
            truth: self.sim.truth(),
            journal: self.reader.history(&self.cluster, &self.clock).await,
        }
    }

    /// Records an action that reached the cluster (its evidence taken before it was sent).
    pub fn record(&self, action: ActionRecord) {
        self.lock().actions.push(action);
    }

    /// The actions recorded after the first `seen`.
    pub fn actions_since(&self, seen: usize) -> Vec<ActionRecord> {
        self.lock().actions.get(seen..).unwrap_or_default().to_vec()
    }

    /// The journal as no fault shows it, now.
    pub async fn journal(&self) -> Result<History, String> {
        self.reader.history(&self.cluster, &self.clock).await
    }

    /// The open incidents, as no fault shows them.
    pub async fn incidents(&self) -> Result<Vec<grkeeper::report::Incident>, String> {
        match &self.reader {
            Reader::Memory(journal) => journal.alerting(&self.cluster).await,
            Reader::Dynamo(journal) => journal.alerting(&self.cluster).await,
        }
        .map(|alerting| alerting.incidents)
        .map_err(|e| e.to_string())
    }
}
