//! The alerting end of a cluster's tick: incident transitions delivered (with any left over by
//! an earlier tick), the alerting state saved, and the topology events put on the bus.
//!
//! The queue never jams. An alert SNS cannot take now (unreachable, throttled) waits in the
//! journal and goes first next tick; one SNS rejects as it is (not retryable: too large,
//! invalid) is parked in the journal for a person (`grkeeper status` shows it), reported (the
//! tick's notes, an error log line, the `AlertsParked` metric), replaced by a short notice with
//! the same attributes so a page still pages, and the alerts after it still go out.

use chrono::{DateTime, Utc};
use tracing::{error, warn};

use crate::plan::{Action, Plan};
use crate::ports::Ports;
use crate::ports::clock::Clock;
use crate::ports::journal::{Alerting, Journal, Parked};
use crate::ports::notifier::{AlertError, Notifier};
use crate::ports::topology_bus::TopologyBus;
use crate::report::{self, AlertMessage, Step, Transition, topology};
use crate::snapshot::{Outcome, Snapshot};

use super::AlertReport;
use super::cluster::{Run, TickError, journal_outcome};
use super::report::ParkedReport;

impl<P: Ports> Run<'_, P> {
    /// Reconciles the incidents over the tick's steps and delivers the alerts: first those an
    /// earlier tick could not deliver, then this tick's, in order. What cannot be delivered now
    /// is saved with the incidents and sent first by the next tick, and this tick fails so the
    /// outage is seen; no transition is lost between "decided" and "delivered". What SNS
    /// rejects for good is parked. A dry run delivers and saves nothing. Returns this tick's
    /// transitions.
    pub(super) async fn alert(&mut self, steps: &[Step]) -> Result<Vec<Transition>, TickError> {
        let keeper = self.keeper;
        let saved = keeper.journal.alerting(&self.cluster.cluster).await?;
        let (transitions, open) = report::reconcile(&saved.incidents, steps);
        let mut queue = saved.undelivered;
        if let Some(last) = steps.last() {
            for transition in &transitions {
                let message = report::alert_message(
                    transition,
                    last,
                    &keeper.config.location(),
                    &self.options.owner,
                );
                self.report.alerts.push(AlertReport {
                    change: transition.change,
                    incident: transition.incident.id.clone(),
                    subject: message.subject.clone(),
                });
                queue.push(message);
            }
        }
        self.report.parked = saved.parked.iter().map(ParkedReport::of).collect();
        let Some(lease) = self.lease.clone() else {
            return Ok(transitions);
        };
        let mut parked = saved.parked;
        let (undelivered, failure) = self.deliver(queue, &mut parked).await;
        let (alerting, shed) = Alerting {
            incidents: open,
            undelivered,
            parked,
        }
        .bounded();
        keeper.journal.save_alerting(&lease, &alerting).await?;
        self.report.parked = alerting.parked.iter().map(ParkedReport::of).collect();
        if shed.parked > 0 {
            self.report
                .notes
                .push(format!("{} older parked alert(s) dropped", shed.parked));
        }
        match failure {
            None => Ok(transitions),
            Some(e) => {
                self.report.notes.push(format!(
                    "{} alert(s) kept for the next tick{}",
                    alerting.undelivered.len(),
                    if shed.undelivered > 0 {
                        format!(" ({} older ones dropped)", shed.undelivered)
                    } else {
                        String::new()
                    }
                ));
                Err(e.into())
            }
        }
    }

    /// Publishes `queue` in order until SNS cannot take a message now; returns what is left
    /// for the next tick and the error that stopped it. A message SNS rejects for good is
    /// parked and its notice takes its place.
    async fn deliver(
        &mut self,
        queue: Vec<AlertMessage>,
        parked: &mut Vec<Parked>,
    ) -> (Vec<AlertMessage>, Option<AlertError>) {
        let mut pending = std::collections::VecDeque::from(queue);
        while let Some(message) = pending.pop_front() {
            match self.keeper.notifier.publish(&message).await {
                Ok(()) => {}
                Err(e) if e.is_retryable() => {
                    pending.push_front(message);
                    return (pending.into(), Some(e));
                }
                Err(e) if message.is_notice() => {
                    // The short notice was refused too: the alert itself is parked already.
                    error!(subject = %message.subject, error = %e, kind = e.kind(), "alert notice rejected");
                }
                Err(e) => {
                    let now = self.keeper.clock.now();
                    self.park(&message, &e, now, parked);
                    pending.push_front(message.notice(&e.to_string()));
                }
            }
        }
        (Vec::new(), None)
    }

    fn park(
        &mut self,
        message: &AlertMessage,
        error: &AlertError,
        at: DateTime<Utc>,
        parked: &mut Vec<Parked>,
    ) {
        error!(
            subject = %message.subject,
            error = %error,
            kind = error.kind(),
            "alert rejected by SNS: parked in the journal"
        );
        self.report.notes.push(format!(
            "alert {:?} parked: SNS rejected it ({error})",
            message.subject
        ));
        self.report.alerts_parked += 1;
        parked.push(Parked {
            message: message.clone(),
            error: error.to_string(),
            at,
        });
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
