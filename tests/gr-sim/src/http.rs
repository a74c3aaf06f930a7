//! A small JSON-over-HTTP control on 127.0.0.1, so another process (the binary's user, the AWS
//! stand-in) can read the truth, inject faults and drive the RDS side.
//!
//! Routes (bodies and answers are JSON; errors are `{"code": …, "message": …}`):
//! - `GET /members`: name, address, user, password of each member
//! - `GET /truth`: `Truth`
//! - `POST /faults` with a `Fault` (`{"fault":"crash","member":"db2"}`): `{"gtids":[…]}`
//! - `POST /advance` with `{"ms": 1000}` (manual clock only): `{"now_ms": …}`
//! - `GET /rds/instances`: `InstanceInfo` list; `GET /rds/events`: `RdsEvent` list
//! - `POST /rds` with `{"action":"RebootDBInstance","DBInstanceIdentifier":"db2"}` (also
//!   `StopDBInstance`, `StartDBInstance`, and `ApplyPendingMaintenanceAction` with `ApplyAction`
//!   and `OptInType`): `{"DBInstanceStatus": …}`

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value as Json, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::config::ClockMode;
use crate::errors::SimError;
use crate::faults::Fault;
use crate::rds::Rds;
use crate::shared::Shared;
use crate::truth::Truth;

/// Largest request accepted (head and body).
const MAX_REQUEST: usize = 1 << 20;

pub(crate) fn spawn(
    shared: Arc<Shared>,
    names: Vec<String>,
    listener: TcpListener,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut requests = JoinSet::new();
        while let Ok((stream, _)) = listener.accept().await {
            while requests.try_join_next().is_some() {}
            requests.spawn(serve(Arc::clone(&shared), names.clone(), stream));
        }
    })
}

async fn serve(shared: Arc<Shared>, names: Vec<String>, mut stream: TcpStream) {
    let (status, body) = match read_request(&mut stream).await {
        Some((method, path, body)) => route(&shared, &names, &method, &path, &body),
        None => (
            400,
            json!({"code": "BadRequest", "message": "malformed HTTP request"}),
        ),
    };
    let body = body.to_string();
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Method, path and body of one request.
async fn read_request(stream: &mut TcpStream) -> Option<(String, String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || data.len() > MAX_REQUEST {
            return None;
        }
        data.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut request_line = lines.next()?.split_whitespace();
    let method = request_line.next()?.to_string();
    let path = request_line.next()?.to_string();
    let length: usize = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    if length > MAX_REQUEST {
        return None;
    }
    let mut body = data[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Some((method, path, body))
}

fn error(e: &SimError) -> (u16, Json) {
    let status = match e {
        SimError::UnknownMember(_) => 404,
        SimError::Rds(refused) => refused.http_status(),
        _ => 400,
    };
    (status, json!({"code": e.kind(), "message": e.to_string()}))
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, SimError> {
    serde_json::from_slice(body).map_err(|e| SimError::Fault(e.to_string()))
}

#[derive(Deserialize)]
struct Advance {
    ms: u64,
}

#[derive(Deserialize)]
struct RdsCall {
    action: String,
    #[serde(rename = "DBInstanceIdentifier")]
    id: String,
    /// ApplyPendingMaintenanceAction's action and opt-in type.
    #[serde(rename = "ApplyAction", default)]
    apply_action: String,
    #[serde(rename = "OptInType", default)]
    opt_in: String,
}

fn route(shared: &Shared, names: &[String], method: &str, path: &str, body: &[u8]) -> (u16, Json) {
    let rds = Rds { shared };
    let result: Result<Json, SimError> = match (method, path) {
        ("GET", "/members") => Ok(Json::Array(
            names
                .iter()
                .zip(&shared.addrs)
                .map(|(name, addr)| {
                    json!({"name": name, "addr": addr.to_string(), "user": shared.user,
                           "password": shared.password})
                })
                .collect(),
        )),
        ("GET", "/truth") => serde_json::to_value(shared.with(|w| Truth::of(w)))
            .map_err(|e| SimError::Fault(e.to_string())),
        ("POST", "/faults") => parse::<Fault>(body)
            .and_then(|fault| shared.with(|w| w.inject(&fault)))
            .map(|gtids| json!({ "gtids": gtids })),
        ("POST", "/advance") => parse::<Advance>(body).and_then(|a| {
            if shared.clock.mode() != ClockMode::Manual {
                return Err(SimError::WrongClock("advance needs the manual clock"));
            }
            let now = shared.with(|w| {
                w.advance_to(w.now + Duration::from_millis(a.ms));
                w.now
            });
            Ok(json!({ "now_ms": u64::try_from(now.as_millis()).unwrap_or(u64::MAX) }))
        }),
        ("GET", "/rds/instances") => {
            serde_json::to_value(rds.describe()).map_err(|e| SimError::Fault(e.to_string()))
        }
        ("GET", "/rds/events") => {
            serde_json::to_value(rds.events()).map_err(|e| SimError::Fault(e.to_string()))
        }
        ("POST", "/rds") => parse::<RdsCall>(body).and_then(|call| {
            match call.action.as_str() {
                "RebootDBInstance" => rds.reboot(&call.id),
                "StopDBInstance" => rds.stop(&call.id),
                "StartDBInstance" => rds.start(&call.id),
                "ApplyPendingMaintenanceAction" => {
                    rds.apply_maintenance(&call.id, &call.apply_action, &call.opt_in)
                }
                other => return Err(SimError::Fault(format!("unknown RDS action {other}"))),
            }?;
            Ok(json!({ "DBInstanceStatus": rds.status(&call.id)? }))
        }),
        _ => {
            return (
                404,
                json!({"code": "NotFound", "message": format!("no route {method} {path}")}),
            );
        }
    };
    match result {
        Ok(body) => (200, body),
        Err(e) => error(&e),
    }
}
