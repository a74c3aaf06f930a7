//! RDS requests at the bridge: reboot, stop and start of a simulated instance run on the
//! simulator first, and every RDS answer shows the simulator's status for its instances.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::http::request::Parts;
use hyper::{Response, StatusCode};

use super::call::{self, Call};
use super::{Answer, State, answer, forward};

/// Handles one RDS request.
pub(super) async fn handle(state: &State, call: &Call, parts: &Parts, body: Bytes) -> Answer {
    let simulated = call
        .instance
        .as_deref()
        .filter(|id| state.sim.names().iter().any(|name| name == id));
    if let Some(id) = simulated {
        let rds = state.sim.rds();
        let transition = match call.operation.as_str() {
            "RebootDBInstance" => Some(rds.reboot(id)),
            "StopDBInstance" => Some(rds.stop(id)),
            "StartDBInstance" => Some(rds.start(id)),
            _ => None,
        };
        if let Some(Err(refused)) = transition {
            return error(&refused);
        }
    }
    let response = forward(state, parts, body).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (head, body) = response.into_parts();
    let Ok(collected) = body.collect().await;
    let xml = String::from_utf8_lossy(&collected.to_bytes()).into_owned();
    let rewritten = rewrite_statuses(&xml, |id| {
        state.sim.rds().status(id).ok().map(|s| s.as_str())
    });
    Response::from_parts(head, Full::new(Bytes::from(rewritten)))
}

/// RDS's answer to a refused transition: `InvalidDBInstanceState` is HTTP 400,
/// `DBInstanceNotFound` 404, both in the query protocol's XML error shape.
fn error(refused: &gr_sim::RdsError) -> Answer {
    let code = refused.code();
    let text = refused.to_string();
    // The simulator's message starts with the code, which RDS puts in <Code> instead.
    let message = text
        .strip_prefix(code)
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(&text);
    let status = match refused {
        gr_sim::RdsError::NotFound(_) => StatusCode::NOT_FOUND,
        gr_sim::RdsError::InvalidState { .. } => StatusCode::BAD_REQUEST,
    };
    answer(status, "text/xml", call::query_error("rds", code, message))
}

/// Replaces the `<DBInstanceStatus>` of every `<DBInstance>` whose `<DBInstanceIdentifier>`
/// `status_of` knows, leaving the rest of the document as moto wrote it.
fn rewrite_statuses(xml: &str, status_of: impl Fn(&str) -> Option<&'static str>) -> String {
    const OPEN: &str = "<DBInstance>";
    const CLOSE: &str = "</DBInstance>";
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find(OPEN) {
        let Some(length) = rest[start..].find(CLOSE) else {
            break;
        };
        let (before, after) = rest.split_at(start);
        let (instance, tail) = after.split_at(length);
        out.push_str(before);
        let id = element(instance, "DBInstanceIdentifier").map(|(_, text)| text);
        match id.and_then(&status_of) {
            Some(status) => out.push_str(&replace_element(instance, "DBInstanceStatus", status)),
            None => out.push_str(instance),
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// The byte range of the text of the first `<name>` element, and the text.
fn element<'a>(xml: &'a str, name: &str) -> Option<(std::ops::Range<usize>, &'a str)> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let length = xml[start..].find(&format!("</{name}>"))?;
    Some((start..start + length, &xml[start..start + length]))
}

fn replace_element(xml: &str, name: &str, text: &str) -> String {
    match element(xml, name) {
        Some((range, _)) => format!("{}{}{}", &xml[..range.start], text, &xml[range.end..]),
        None => xml.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::rewrite_statuses;

    #[test]
    fn only_the_status_of_known_instances_is_rewritten() {
        let xml = "<R><DBInstances>\
            <DBInstance><DBInstanceIdentifier>a</DBInstanceIdentifier><DBInstanceStatus>available</DBInstanceStatus><Endpoint/></DBInstance>\
            <DBInstance><DBInstanceIdentifier>b</DBInstanceIdentifier><DBInstanceStatus>available</DBInstanceStatus></DBInstance>\
            </DBInstances></R>";
        let rewritten = rewrite_statuses(xml, |id| (id == "a").then_some("rebooting"));
        assert_eq!(
            rewritten,
            xml.replacen(">available<", ">rebooting<", 1),
            "{rewritten}"
        );
    }
}
