//! The alerting end of a cluster's tick: incident transitions delivered (with any left over by
//! an earlier tick), the alerting state saved, and the topology events put on the bus.

use tracing::warn;

use crate::plan::{Action, Plan};
use crate::ports::Ports;
use crate::ports::journal::{Alerting, Journal};
use crate::ports::notifier::Notifier;
use crate::ports::topology_bus::TopologyBus;
use crate::report::{self, AlertMessage, Transition, topology};
use crate::snapshot::{Outcome, Snapshot};

use super::AlertReport;
use super::cluster::{Run, TickError, journal_outcome};

/// Undelivered alerts wait in one journal item (DynamoDB items hold 400 KB): at most this many,
/// each body cut to this size (the summary and the next step come first; evidence is last).
const UNDELIVERED_MAX: usize = 20;
const UNDELIVERED_BODY_MAX: usize = 16 * 1024;

impl<P: Ports> Run<'_, P> {
    /// Reconciles incidents step by step and delivers the alerts: first those an earlier tick
    /// could not deliver, then this tick's, in order. What cannot be delivered now is saved with
    /// the incidents and sent first by the next tick, and this tick fails so the outage is
    /// seen; no transition is lost between "decided" and "delivered". A dry run delivers and
    /// saves nothing. Returns this tick's transitions.
    pub(super) async fn alert(
        &mut self,
        steps: &[(Snapshot, Plan)],
    ) -> Result<Vec<Transition>, TickError> {
        let keeper = self.keeper;
        let saved = keeper.journal.alerting(&self.cluster.cluster).await?;
        let mut open = saved.incidents;
        let mut queue = saved.undelivered;
        let mut transitions = Vec::new();
        for (snapshot, plan) in steps {
            let (changed, next) = report::reconcile(&open, plan, snapshot.observed_at);
            for transition in changed {
                let message = report::alert_message(&transition, plan, snapshot);
                self.report.alerts.push(AlertReport {
                    change: transition.change,
                    incident: transition.incident.id.clone(),
                    subject: message.subject.clone(),
                });
                queue.push(message);
                transitions.push(transition);
            }
            open = next;
        }
        let Some(lease) = self.lease.clone() else {
            return Ok(transitions);
        };
        let mut failure = None;
        let mut delivered = 0;
        for message in &queue {
            if let Err(e) = keeper.notifier.publish(message).await {
                failure = Some(e);
                break;
            }
            delivered += 1;
        }
        let mut undelivered: Vec<AlertMessage> = queue[delivered..]
            .iter()
            .map(|m| m.clipped(UNDELIVERED_BODY_MAX))
            .collect();
        // A long SNS outage must not outgrow the journal item: keep the newest.
        let dropped = undelivered.len().saturating_sub(UNDELIVERED_MAX);
        undelivered.drain(..dropped);
        let alerting = Alerting {
            incidents: open,
            undelivered,
        };
        keeper.journal.save_alerting(&lease, &alerting).await?;
        match failure {
            None => Ok(transitions),
            Some(e) => {
                self.report.notes.push(format!(
                    "{} alert(s) kept for the next tick{}",
                    alerting.undelivered.len(),
                    if dropped > 0 {
                        format!(" ({dropped} older ones dropped)")
                    } else {
                        String::new()
                    }
                ));
                Err(e.into())
            }
        }
    }

    /// Puts the member changes, the actions and the incident transitions. Topology events are
    /// for other automation to follow; failing to put them is reported, not fatal (the next
    /// change puts fresh ones).
    pub(super) async fn put_events(
        &mut self,
        mut events: Vec<topology::TopologyEvent>,
        snapshot: &Snapshot,
        plan: &Plan,
        transitions: &[Transition],
    ) {
        let taken: Vec<(Action, Outcome)> = self
            .report
            .actions
            .iter()
            .map(|a| {
                let action = Action {
                    placeholders: a.placeholders.clone(),
                    ..Action::new(a.kind, a.instance.clone(), a.reason.clone())
                };
                (action, journal_outcome(a.verdict))
            })
            .collect();
        events.extend(topology::action_events(plan, &taken));
        events.extend(topology::incident_events(&snapshot.cluster, transitions));
        if events.is_empty() {
            return;
        }
        if let Err(e) = self.keeper.bus.put(&events).await {
            warn!(error = %e, kind = e.kind(), "topology events not delivered");
            self.report
                .notes
                .push(format!("topology events not delivered: {e}"));
        }
    }
}
