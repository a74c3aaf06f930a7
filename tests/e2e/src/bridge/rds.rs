//! RDS requests at the bridge: reboot, stop and start of a simulated instance run on the
//! simulator first, every RDS answer shows the simulator's record of its instances (status,
//! endpoint address, engine version, parameter apply status) in place of moto's, and
//! `DescribePendingMaintenanceActions` and `ApplyPendingMaintenanceAction`, which moto lacks, are
//! answered from the simulator's RDS model.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::http::request::Parts;
use hyper::{Response, StatusCode};

use gr_sim::{InstanceInfo, PendingMaintenance};

use super::call::{self, Call};
use super::{Answer, State, answer, forward};

/// The account and Region moto answers for: the instances' ARNs.
const ARN_PREFIX: &str = "arn:aws:rds:us-east-1:123456789012:db:";

/// Handles one RDS request.
pub(super) async fn handle(state: &State, call: &Call, parts: &Parts, body: Bytes) -> Answer {
    match call.operation.as_str() {
        "DescribePendingMaintenanceActions" => return pending_maintenance(state, &body),
        "ApplyPendingMaintenanceAction" => return apply_maintenance(state, call, &body),
        _ => {}
    }
    let simulated = call.instance.as_deref().and_then(|id| {
        state
            .sims
            .iter()
            .find(|sim| sim.names().iter().any(|name| name == id))
            .map(|sim| (id, sim))
    });
    if let Some((id, sim)) = simulated {
        let rds = sim.rds();
        if matches!(
            call.operation.as_str(),
            "RebootDBInstance" | "StopDBInstance" | "StartDBInstance"
        ) {
            state.act(call, sim);
        }
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
    let described: Vec<_> = state
        .sims
        .iter()
        .flat_map(|sim| sim.rds().describe())
        .collect();
    let rewritten = rewrite_instances(&xml, |id| described.iter().find(|info| info.id == id));
    Response::from_parts(head, Full::new(Bytes::from(rewritten)))
}

/// `DescribePendingMaintenanceActions` from the simulator: the instances a filter's values name
/// (identifiers or ARNs), or every simulated instance (of every cluster) without a filter, each listed when RDS
/// holds something for it. One page: nine members never need a second.
fn pending_maintenance(state: &State, body: &[u8]) -> Answer {
    let named: Vec<String> = form_urlencoded::parse(body)
        .filter(|(key, _)| key.starts_with("Filters.") && key.contains(".Values."))
        .map(|(_, value)| {
            let id = value.strip_prefix(ARN_PREFIX).unwrap_or(&value);
            id.to_owned()
        })
        .collect();
    let resources: String = state
        .sims
        .iter()
        .flat_map(|sim| sim.rds().describe())
        .filter(|info| named.is_empty() || named.contains(&info.id))
        .filter(|info| !info.pending_maintenance.is_empty())
        .map(|info| {
            format!(
                "<ResourcePendingMaintenanceActions>{}</ResourcePendingMaintenanceActions>",
                resource(&info)
            )
        })
        .collect();
    answer(
        StatusCode::OK,
        "text/xml",
        format!(
            r#"<DescribePendingMaintenanceActionsResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribePendingMaintenanceActionsResult><PendingMaintenanceActions>{resources}</PendingMaintenanceActions></DescribePendingMaintenanceActionsResult><ResponseMetadata><RequestId>grkeeper-e2e-bridge</RequestId></ResponseMetadata></DescribePendingMaintenanceActionsResponse>"#
        ),
    )
}

/// The identifier and pending actions of one `ResourcePendingMaintenanceActions`.
fn resource(info: &InstanceInfo) -> String {
    let details: String = info.pending_maintenance.iter().map(detail).collect();
    format!(
        "<ResourceIdentifier>{ARN_PREFIX}{}</ResourceIdentifier>\
         <PendingMaintenanceActionDetails>{details}</PendingMaintenanceActionDetails>",
        call::escape(&info.id)
    )
}

/// `ApplyPendingMaintenanceAction` on the simulator's RDS: `ResourceIdentifier` (an instance
/// ARN), `ApplyAction`, `OptInType`. Answered as RDS answers: the resource with what it still
/// has pending, or RDS's error (`ResourceNotFoundFault` for an ARN no simulated instance has).
fn apply_maintenance(state: &State, call: &Call, body: &[u8]) -> Answer {
    let field = |name| call::form_field(body, name).unwrap_or_default();
    let (arn, action, opt_in) = (
        field("ResourceIdentifier"),
        field("ApplyAction"),
        field("OptInType"),
    );
    let id = arn.strip_prefix(ARN_PREFIX).unwrap_or("");
    let Some(sim) = state
        .sims
        .iter()
        .find(|sim| sim.names().iter().any(|name| name == id))
    else {
        return error(&gr_sim::RdsError::ResourceNotFound(arn));
    };
    state.act(call, sim);
    if let Err(refused) = sim.rds().apply_maintenance(id, &action, &opt_in) {
        return error(&refused);
    }
    let described = sim.rds().describe();
    let Some(info) = described.iter().find(|info| info.id == id) else {
        return error(&gr_sim::RdsError::ResourceNotFound(arn));
    };
    answer(
        StatusCode::OK,
        "text/xml",
        format!(
            r#"<ApplyPendingMaintenanceActionResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><ApplyPendingMaintenanceActionResult><ResourcePendingMaintenanceActions>{}</ResourcePendingMaintenanceActions></ApplyPendingMaintenanceActionResult><ResponseMetadata><RequestId>grkeeper-e2e-bridge</RequestId></ResponseMetadata></ApplyPendingMaintenanceActionResponse>"#,
            resource(info)
        ),
    )
}

fn detail(pending: &PendingMaintenance) -> String {
    let after = pending
        .auto_applied_after
        .as_deref()
        .map_or_else(String::new, |at| {
            format!(
                "<AutoAppliedAfterDate>{}</AutoAppliedAfterDate>",
                call::escape(at)
            )
        });
    let opted = pending
        .opt_in_status
        .as_deref()
        .map_or_else(String::new, |status| {
            format!("<OptInStatus>{}</OptInStatus>", call::escape(status))
        });
    format!(
        "<PendingMaintenanceAction><Action>{}</Action><Description>{}</Description>{after}\
         {opted}</PendingMaintenanceAction>",
        call::escape(&pending.action),
        call::escape(&pending.description)
    )
}

/// RDS's answer to a refused call: `DBInstanceNotFound` and `ResourceNotFoundFault` are HTTP 404,
/// the others (`InvalidDBInstanceState`, `InvalidParameterValue`) 400, all in the query
/// protocol's XML error shape.
fn error(refused: &gr_sim::RdsError) -> Answer {
    let code = refused.code();
    let text = refused.to_string();
    // The simulator's message starts with the code, which RDS puts in <Code> instead.
    let message = text
        .strip_prefix(code)
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(&text);
    let status = StatusCode::from_u16(refused.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    answer(status, "text/xml", call::query_error("rds", code, message))
}

/// Replaces, in every `<DBInstance>` whose `<DBInstanceIdentifier>` `record_of` knows, the
/// status, the endpoint address, the engine version and the parameter group's apply status,
/// leaving the rest of the document as moto wrote it.
fn rewrite_instances<'a>(
    xml: &str,
    record_of: impl Fn(&str) -> Option<&'a InstanceInfo>,
) -> String {
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
        match id.and_then(&record_of) {
            Some(info) => {
                let instance = replace_element(instance, "DBInstanceStatus", info.status.as_str());
                let instance = replace_element(&instance, "EngineVersion", &info.engine_version);
                let instance = replace_element(
                    &instance,
                    "ParameterApplyStatus",
                    &info.parameter_apply_status,
                );
                out.push_str(&replace_endpoint_address(&instance, &info.endpoint));
            }
            None => out.push_str(instance),
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// `<Endpoint><Address>` (other elements of an instance have addresses too).
fn replace_endpoint_address(instance: &str, address: &str) -> String {
    match element(instance, "Endpoint") {
        Some((range, endpoint)) => format!(
            "{}{}{}",
            &instance[..range.start],
            replace_element(endpoint, "Address", address),
            &instance[range.end..]
        ),
        None => instance.to_owned(),
    }
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
    use gr_sim::{InstanceInfo, InstanceStatus};

    use super::rewrite_instances;

    #[test]
    fn only_the_records_of_simulated_instances_are_rewritten() {
        let xml = "<R><DBInstances>\
            <DBInstance><DBInstanceIdentifier>a</DBInstanceIdentifier><DBInstanceStatus>available</DBInstanceStatus>\
            <Endpoint><Address>a.moto</Address><Port>3306</Port></Endpoint><EngineVersion>8.0.36</EngineVersion>\
            <DBParameterGroups><DBParameterGroup><ParameterApplyStatus>in-sync</ParameterApplyStatus></DBParameterGroup></DBParameterGroups></DBInstance>\
            <DBInstance><DBInstanceIdentifier>b</DBInstanceIdentifier><DBInstanceStatus>available</DBInstanceStatus>\
            <Endpoint><Address>b.moto</Address><Port>3306</Port></Endpoint><EngineVersion>8.0.36</EngineVersion></DBInstance>\
            </DBInstances></R>";
        let a = InstanceInfo {
            id: "a".into(),
            status: InstanceStatus::Rebooting,
            endpoint: "a.sim".into(),
            local_addr: "127.0.0.1:1".into(),
            engine_version: "8.0.37".into(),
            pending_maintenance: Vec::new(),
            parameter_apply_status: "pending-reboot".into(),
        };
        let rewritten = rewrite_instances(xml, |id| (id == "a").then_some(&a));
        let expected = xml
            .replacen(">available<", ">rebooting<", 1)
            .replacen("a.moto", "a.sim", 1)
            .replacen("8.0.36", "8.0.37", 1)
            .replacen(">in-sync<", ">pending-reboot<", 1);
        assert_eq!(rewritten, expected);
    }
}
