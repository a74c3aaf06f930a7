//! A notifier that prints each alert for a person at a terminal: local runs and the demo.

use std::io::Write as _;

use super::{AlertError, AlertMessage, Notifier};

/// Prints each message (subject, attributes, body) to standard output.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdoutNotifier;

impl Notifier for StdoutNotifier {
    async fn publish(&self, message: &AlertMessage) -> Result<(), AlertError> {
        let text = render(message);
        // A closed stdout must not fail a tick: the alert is also in the journal's incidents.
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
        Ok(())
    }
}

/// The printed form: a rule, the subject, the attributes, the body.
fn render(message: &AlertMessage) -> String {
    let attributes: Vec<String> = message
        .attributes
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    format!(
        "──── alert ────\n{}\n[{}]\n{}\n",
        message.subject,
        attributes.join(" "),
        message.body.trim_end()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_alert_shows_subject_attributes_and_body() {
        let message = AlertMessage {
            subject: "WARNING orders/db2: member offline".into(),
            body: "Finding: db2 is OFFLINE\n".into(),
            attributes: [("severity".to_owned(), "warning".to_owned())].into(),
        };
        assert_eq!(
            render(&message),
            "──── alert ────\nWARNING orders/db2: member offline\n[severity=warning]\nFinding: db2 is OFFLINE\n"
        );
    }
}
