//! The bridge: an HTTP proxy on 127.0.0.1 in front of moto that makes the AWS side of a test act
//! on the simulator, and that can make AWS fail on purpose.
//!
//! moto's `RebootDBInstance` changes nothing, never shows `rebooting`, and accepts a reboot of a
//! stopped instance (`docs/testing.md`). Pointed at the bridge (`AWS_ENDPOINT_URL`), grkeeper's
//! RDS calls on the simulator's instances reach the simulated members instead:
//! - `RebootDBInstance`, `StopDBInstance`, `StartDBInstance` run on the simulator's RDS control
//!   plane (a reboot restarts the member); a transition the simulator refuses is answered with
//!   RDS's own error (`InvalidDBInstanceState`, HTTP 400, RDS's XML error shape), and an accepted
//!   one is passed on to moto so its record follows;
//! - the `DBInstanceStatus` of simulated instances in every RDS answer (moto's own XML, so the
//!   SDK parses what it parses from moto) is the simulator's (`rebooting`, `stopped`...).
//!
//! - a Route 53 change batch's creations reach moto as upserts (`route53`: moto refuses to
//!   create a weighted record again that Route 53 takes).
//!
//! Every other request, of any service, goes to moto unchanged. Every request is recorded
//! ([`Bridge::calls`]) so a test can tell which AWS calls grkeeper made; every RDS call that
//! changes a simulated instance (reboot, stop, start, applied maintenance) is recorded with the
//! simulator's ground truth at the instant it arrived ([`Bridge::acted`]), so a test can judge
//! each action as it reached the cluster; and a test can make the
//! calls of a service, or one operation, fail ([`Bridge::fail`], [`Bridge::fail_after`] to let
//! the first few through, [`Bridge::fail_next`] to fail only a few): answered with throttling or
//! with a rejection, the connection dropped without an answer, or the request passed on and its
//! answer lost.
//!
//! ```no_run
//! # async fn example(moto: &grkeeper_e2e::moto::Moto, sim: std::sync::Arc<gr_sim::Cluster>)
//! # -> std::io::Result<()> {
//! use grkeeper_e2e::bridge::{Bridge, Failure};
//! let bridge = Bridge::start(moto, sim).await?;
//! let endpoint = bridge.endpoint_url(); // AWS_ENDPOINT_URL for the code under test
//! bridge.fail("rds", Some("DescribeDBInstances"), Failure::Throttle);
//! bridge.fail("sns", None, Failure::Drop); // every SNS call
//! // A tick's first two journal transactions (the intent, marking it sent) pass; the outcome's,
//! // and any later, fail.
//! bridge.fail_after("dynamodb", Some("TransactWriteItems"), 2, Failure::Drop);
//! // Every intent is stored, and its answer lost on the way back.
//! bridge.fail("dynamodb", Some("TransactWriteItems"), Failure::Lost);
//! // The next message SNS gets is refused as invalid; the ones after it go through.
//! bridge.fail_next("sns", Some("Publish"), 1, Failure::Reject);
//! bridge.heal();
//! # Ok(()) }
//! ```

mod call;
mod rds;
mod route53;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use aws_config::SdkConfig;
use bytes::Bytes;
use gr_sim::{Cluster, Truth};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::http::request::Parts;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::moto::Moto;

pub use call::Call;

/// Bound for one request forwarded to moto (moto answers in milliseconds).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);

/// How a matched request fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Answered with the service's throttling error (HTTP 400): `Throttling` in the XML error
    /// shape of the query protocol (RDS, SNS), `ThrottlingException` in the JSON protocols.
    Throttle,
    /// The connection is closed without an answer.
    Drop,
    /// Answered with the service's error for a request it will never take (HTTP 400, not
    /// retryable): `InvalidParameter` in the query protocol's shape (SNS's answer to a message
    /// it refuses), `ValidationException` in the JSON protocols.
    Reject,
    /// The request reaches moto (it takes effect), then the connection is closed without its
    /// answer: a reply lost on the way back.
    Lost,
}

/// Which requests fail, and how.
#[derive(Debug, Clone)]
struct Rule {
    service: String,
    operation: Option<String>,
    failure: Failure,
    /// Matching requests still to let through before failing the rest.
    pass: usize,
    /// How many more matching requests fail; `None`: all of them.
    remaining: Option<usize>,
}

impl Rule {
    fn matches(&self, call: &Call) -> bool {
        self.service == call.service
            && self
                .operation
                .as_ref()
                .is_none_or(|op| *op == call.operation)
    }
}

/// A running bridge. Dropping it closes the listener and every open connection.
#[derive(Debug)]
pub struct Bridge {
    addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

#[derive(Debug)]
struct State {
    moto: SocketAddr,
    /// The simulated clusters whose members are RDS instances here.
    sims: Vec<Arc<Cluster>>,
    rules: Mutex<Vec<Rule>>,
    calls: Mutex<Vec<Call>>,
    acted: Mutex<Vec<Acted>>,
}

/// An RDS call that reached a simulated instance, with the simulator's truth just before it.
#[derive(Debug, Clone)]
pub struct Acted {
    /// The call (its operation and instance).
    pub call: Call,
    /// The simulator's ground truth as the call arrived, before it took effect.
    pub truth: Truth,
}

/// The handler's error: hyper closes the connection without an answer.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped on purpose by a bridge fault")]
struct Dropped;

impl Bridge {
    /// Listens on a free port of 127.0.0.1, forwarding to `moto` and acting on `sim`.
    pub async fn start(moto: &Moto, sim: Arc<Cluster>) -> std::io::Result<Bridge> {
        Bridge::start_many(moto, vec![sim]).await
    }

    /// The same, acting on every cluster of `sims` (their member names differ).
    pub async fn start_many(moto: &Moto, sims: Vec<Arc<Cluster>>) -> std::io::Result<Bridge> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            moto: SocketAddr::from((Ipv4Addr::LOCALHOST, moto.port())),
            sims,
            rules: Mutex::new(Vec::new()),
            calls: Mutex::new(Vec::new()),
            acted: Mutex::new(Vec::new()),
        });
        let task = tokio::spawn(serve(listener, Arc::clone(&state), handle));
        Ok(Bridge { addr, state, task })
    }

    /// `http://127.0.0.1:PORT`: the AWS endpoint for the code under test.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The SDK configuration grkeeper builds (its timeouts and retries), aimed at this bridge in
    /// front of `moto`: a fault set on the bridge meets the same retries as in a tick.
    pub async fn sdk_config(&self, moto: &Moto) -> SdkConfig {
        moto.config_loader()
            .endpoint_url(self.endpoint_url())
            .timeout_config(grkeeper::adapters::aws::timeouts())
            .retry_config(grkeeper::adapters::aws::retries())
            .load()
            .await
    }

    /// From now on, requests to `service` (the SigV4 signing name: `rds`, `sns`, `dynamodb`,
    /// `secretsmanager`, `events`, `sqs`) fail as `failure`: all of them, or only `operation`
    /// (`DescribeDBInstances`, `Publish`, `PutItem`...).
    pub fn fail(&self, service: &str, operation: Option<&str>, failure: Failure) {
        self.fail_after(service, operation, 0, failure);
    }

    /// The same, except that the next `pass` matching requests still go through: a fault in the
    /// middle of a sequence of calls (the write after an action, not the one before it).
    pub fn fail_after(
        &self,
        service: &str,
        operation: Option<&str>,
        pass: usize,
        failure: Failure,
    ) {
        self.add_rule(service, operation, pass, None, failure);
    }

    /// The next `count` requests to `service` (or only `operation`) fail as `failure`; the ones
    /// after them go through: one message SNS refuses among others it takes.
    pub fn fail_next(
        &self,
        service: &str,
        operation: Option<&str>,
        count: usize,
        failure: Failure,
    ) {
        self.add_rule(service, operation, 0, Some(count), failure);
    }

    /// Requests to `service` (or only `operation`) fail as `failure` after `pass` go through,
    /// `remaining` times or for good.
    fn add_rule(
        &self,
        service: &str,
        operation: Option<&str>,
        pass: usize,
        remaining: Option<usize>,
        failure: Failure,
    ) {
        lock(&self.state.rules).push(Rule {
            service: service.to_owned(),
            operation: operation.map(str::to_owned),
            failure,
            pass,
            remaining,
        });
    }

    /// Ends every failure set with [`Bridge::fail`].
    pub fn heal(&self) {
        lock(&self.state.rules).clear();
    }

    /// Every request received so far, oldest first (failed ones included).
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.state.calls).clone()
    }

    /// Every RDS call that reached a simulated instance so far (accepted or refused by the
    /// simulator), oldest first, each with the truth as it arrived.
    pub fn acted(&self) -> Vec<Acted> {
        lock(&self.state.acted).clone()
    }

    /// How many requests for `operation` of `service` were received.
    pub fn count(&self, service: &str, operation: &str) -> usize {
        lock(&self.state.calls)
            .iter()
            .filter(|c| c.service == service && c.operation == operation)
            .count()
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // The connections live in the task's JoinSet: aborting the task aborts them too.
        self.task.abort();
    }
}

impl State {
    /// Records that `call` reached the simulated cluster `sim` now.
    fn act(&self, call: &Call, sim: &Cluster) {
        lock(&self.acted).push(Acted {
            call: call.clone(),
            truth: sim.truth(),
        });
    }

    /// How `call` fails, if a rule matches it; the first matching rule decides (and counts it
    /// among the requests it lets through, if it still has some).
    fn failure_for(&self, call: &Call) -> Option<Failure> {
        let mut rules = lock(&self.rules);
        let rule = rules
            .iter_mut()
            .find(|r| r.matches(call) && r.remaining != Some(0))?;
        if rule.pass > 0 {
            rule.pass -= 1;
            return None;
        }
        if let Some(remaining) = &mut rule.remaining {
            *remaining -= 1;
        }
        Some(rule.failure)
    }
}

/// A poisoned lock only means a test thread panicked while holding it; the data is still fine.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Serves HTTP/1 on `listener` until the task is aborted, each request answered by
/// `handle(state, request)`; an `Err` drops the connection without an answer. The bridge's loop,
/// and the Lambda Runtime API stand-in's (`crate::runtime`).
pub(crate) async fn serve<S, F, Fut, E>(listener: TcpListener, state: Arc<S>, handle: F)
where
    S: Send + Sync + 'static,
    F: Fn(Arc<S>, Request<Incoming>) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<Full<Bytes>>, E>> + Send + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let state = Arc::clone(&state);
                    connections.spawn(async move {
                        let service = service_fn(move |req| handle(Arc::clone(&state), req));
                        // A dropped or broken connection is the client's business.
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                // Out of file descriptors or similar: wait instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            Some(_) = connections.join_next() => {}
        }
    }
}

type Answer = Response<Full<Bytes>>;

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Result<Answer, Dropped> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Err(Dropped),
    };
    let call = Call::of(&parts.headers, &body);
    lock(&state.calls).push(call.clone());
    let failure = state.failure_for(&call);
    match failure {
        Some(Failure::Drop) => return Err(Dropped),
        Some(Failure::Throttle) => return Ok(call::throttled(&call, &parts.headers)),
        Some(Failure::Reject) => return Ok(call::rejected(&call, &parts.headers)),
        Some(Failure::Lost) | None => {}
    }
    let answer = match call.service.as_str() {
        "rds" => rds::handle(&state, &call, &parts, body).await,
        "route53" => forward(&state, &parts, route53::creations_as_upserts(body)).await,
        _ => forward(&state, &parts, body).await,
    };
    match failure {
        Some(Failure::Lost) => Err(Dropped),
        _ => Ok(answer),
    }
}

/// Sends the request to moto as it came and returns moto's answer; a failure to reach moto is
/// a 502, which the SDK retries and then reports as a server error.
async fn forward(state: &State, parts: &Parts, body: Bytes) -> Answer {
    let exchange = async {
        let stream = TcpStream::connect(state.moto).await?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        // Drives the connection; it ends once the answer is read and `sender` is dropped.
        let driver = tokio::spawn(connection);
        let mut request = Request::builder()
            .method(parts.method.clone())
            .uri(parts.uri.clone())
            .body(Full::new(body))?;
        copy_end_to_end(&parts.headers, request.headers_mut());
        let response = sender.send_request(request).await?;
        let (head, incoming) = response.into_parts();
        let bytes = incoming.collect().await?.to_bytes();
        drop(sender);
        driver.abort();
        let mut answer = Response::new(Full::new(bytes));
        *answer.status_mut() = head.status;
        copy_end_to_end(&head.headers, answer.headers_mut());
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(answer)
    };
    match tokio::time::timeout(FORWARD_TIMEOUT, exchange).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(error)) => bad_gateway(&error.to_string()),
        Err(_) => bad_gateway(&format!("moto did not answer within {FORWARD_TIMEOUT:?}")),
    }
}

/// Copies the headers that describe the message itself, not the connection; the length is
/// recomputed from the (possibly rewritten) body.
fn copy_end_to_end(from: &HeaderMap, to: &mut HeaderMap) {
    const HOP_BY_HOP: [header::HeaderName; 4] = [
        header::CONNECTION,
        header::TRANSFER_ENCODING,
        header::CONTENT_LENGTH,
        header::UPGRADE,
    ];
    for (name, value) in from {
        if !HOP_BY_HOP.contains(name) && name.as_str() != "keep-alive" {
            to.append(name.clone(), value.clone());
        }
    }
}

fn bad_gateway(reason: &str) -> Answer {
    answer(
        StatusCode::BAD_GATEWAY,
        "text/plain",
        format!("bridge: cannot reach moto: {reason}"),
    )
}

/// A complete answer with a body.
fn answer(status: StatusCode, content_type: &'static str, body: String) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
