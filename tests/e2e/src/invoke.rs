//! grkeeper's Lambda functions run in-process against a harness, through the same code the
//! function binaries run: a cold start builds `grkeeper::lambda::Deps`, and every invocation
//! goes through `grkeeper::lambda::handle` with a Lambda context as the runtime makes one.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use grkeeper::config::Config;
use grkeeper::lambda::{Deps, Function, HandlerError, handle};
use grkeeper::trigger::Input;
use grkeeper::wiring::InitError;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

/// The functions' timeout in `infra/template.yaml` (a test checks they agree): the deadline each
/// invocation gets.
pub const FUNCTION_TIMEOUT: Duration = Duration::from_secs(240);

/// A cold start of `function`: the configuration read from `env` (as [`Config::from_env`] reads
/// the process environment) and every client built from `sdk`.
pub async fn cold_start(
    function: Function,
    env: &BTreeMap<String, String>,
    sdk: &SdkConfig,
) -> Result<Deps, InitError> {
    let config = Config::from_lookup(|name| env.get(name).cloned())?;
    Deps::new(function, config, sdk).await
}

/// One invocation with `payload`, a fresh request id and the function's full timeout ahead.
pub async fn invoke(deps: &Deps, payload: Value) -> Result<Value, HandlerError> {
    static INVOCATIONS: AtomicU64 = AtomicU64::new(0);
    let n = INVOCATIONS.fetch_add(1, Ordering::Relaxed);
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let mut context = Context::default();
    context.request_id = format!("e2e-{}-{n}", std::process::id());
    context.deadline = now_ms + u64::try_from(FUNCTION_TIMEOUT.as_millis()).unwrap_or(0);
    context.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:grkeeper".into();
    handle(deps, LambdaEvent::new(Input::from(payload), context)).await
}

/// The actions a tick's summary reports, one line each: `kind instance verdict`, with
/// ` (resumed)` for one an earlier tick took (e.g. `rejoin orders-1 verified`).
pub fn taken(summary: &Value) -> Vec<String> {
    clusters(summary)
        .flat_map(|c| c["actions"].as_array().cloned().unwrap_or_default())
        .map(|a| {
            let resumed = if a["resumed"] == true {
                " (resumed)"
            } else {
                ""
            };
            format!(
                "{} {} {}{resumed}",
                text(&a["kind"]),
                text(&a["instance"]),
                text(&a["verdict"])
            )
        })
        .collect()
}

/// The refusals in the plans a tick's summary reports, one line each: `action instance guard`.
pub fn refused(summary: &Value) -> Vec<String> {
    clusters(summary)
        .flat_map(|c| c["plan"]["refused"].as_array().cloned().unwrap_or_default())
        .map(|r| {
            format!(
                "{} {} {}",
                text(&r["action"]),
                text(&r["instance"]),
                text(&r["guard"])
            )
        })
        .collect()
}

/// One finding of a plan a tick's summary reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Its kind (`maintenance_stalled`, ...).
    pub kind: String,
    /// Its instance, or `cluster` for a finding about the whole cluster.
    pub instance: String,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    /// What it says.
    pub message: String,
}

/// The findings of every plan a tick's summary reports.
pub fn findings(summary: &Value) -> Vec<Finding> {
    let field = |f: &Value, name: &str| f[name].as_str().unwrap_or("cluster").to_owned();
    clusters(summary)
        .flat_map(|c| {
            c["plan"]["findings"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|f| Finding {
            kind: field(&f, "kind"),
            instance: field(&f, "instance"),
            severity: field(&f, "severity"),
            message: field(&f, "message"),
        })
        .collect()
}

/// How each cluster's tick ended (`ticked`, `skipped_lease_held`, `failed`).
pub fn outcomes(summary: &Value) -> Vec<String> {
    clusters(summary).map(|c| text(&c["outcome"])).collect()
}

fn clusters(summary: &Value) -> impl Iterator<Item = &Value> {
    summary["clusters"].as_array().into_iter().flatten()
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}
