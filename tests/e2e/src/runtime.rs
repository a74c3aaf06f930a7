//! A function process served by a stand-in for the Lambda Runtime API on 127.0.0.1: what the
//! benchmarks (`tests/e2e/benches/keeper.rs`) use to run a function binary, or the Python
//! baseline, as Lambda runs it, and to measure what Lambda bills: the cold start (exec until the
//! process asks for its first invocation, its initialization included), each invocation, and the
//! process's peak resident memory.
//!
//! The stand-in speaks the runtime API's four calls (`invocation/next`, `.../response`,
//! `.../error`, `init/error`): `next` is held until [`FunctionProcess::invoke`] hands it an event.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::bridge::serve;

/// How long a function may take to start, or to answer one invocation (a function's timeout).
const ANSWER_WITHIN: Duration = Duration::from_secs(240);

/// Why a function process could not be run or measured.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The stand-in could not listen on 127.0.0.1.
    #[error("cannot listen on 127.0.0.1: {0}")]
    Listen(#[source] std::io::Error),
    /// The function could not be started or its status read.
    #[error("{what}: {source}")]
    Process {
        /// What was tried.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The function exited, reported an error, or did not answer in time.
    #[error("the function failed: {0}")]
    Failed(String),
}

impl RuntimeError {
    /// A stable name for the kind of failure.
    pub fn kind(&self) -> &'static str {
        match self {
            RuntimeError::Listen(_) => "Listen",
            RuntimeError::Process { .. } => "Process",
            RuntimeError::Failed(_) => "Failed",
        }
    }
}

/// What the function reported for one invocation (or for its initialization).
type Outcome = Result<Value, String>;

struct State {
    /// Events for `invocation/next`, in order: (request id, payload).
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<(String, Bytes)>>,
    /// When the function first asked for an invocation.
    first_poll: Mutex<Option<Instant>>,
    answers: mpsc::UnboundedSender<Outcome>,
}

/// A function binary running against the stand-in; killed on drop.
#[derive(Debug)]
pub struct FunctionProcess {
    child: Child,
    started: Instant,
    events: mpsc::UnboundedSender<(String, Bytes)>,
    answers: mpsc::UnboundedReceiver<Outcome>,
    state: Arc<State>,
    invocations: u64,
    server: JoinHandle<()>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State").finish_non_exhaustive()
    }
}

impl FunctionProcess {
    /// Starts `program` (with `args`) with `env` and the variables Lambda sets, its output
    /// appended to `log`.
    pub async fn start(
        program: &Path,
        args: &[&str],
        env: &BTreeMap<String, String>,
        log: &Path,
    ) -> Result<FunctionProcess, RuntimeError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(RuntimeError::Listen)?;
        let addr = listener.local_addr().map_err(RuntimeError::Listen)?;
        let (events, events_rx) = mpsc::unbounded_channel();
        let (answers_tx, answers) = mpsc::unbounded_channel();
        let state = Arc::new(State {
            events: tokio::sync::Mutex::new(events_rx),
            first_poll: Mutex::new(None),
            answers: answers_tx,
        });
        let server = tokio::spawn(serve(listener, Arc::clone(&state), handle));
        let process = |what: &str| {
            let what = format!("{what} {}", program.display());
            move |source| RuntimeError::Process { what, source }
        };
        let output = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(process("log of"))?;
        let started = Instant::now();
        let child = Command::new(program)
            .args(args)
            .env_clear()
            .envs(env)
            .envs(lambda_env(addr))
            .stdin(Stdio::null())
            .stdout(output.try_clone().map_err(process("log of"))?)
            .stderr(output)
            .spawn()
            .map_err(process("start"))?;
        Ok(FunctionProcess {
            child,
            started,
            events,
            answers,
            state,
            invocations: 0,
            server,
        })
    }

    /// The cold start: exec until the function first asked for an invocation (waits for it).
    pub async fn cold_start(&mut self) -> Result<Duration, RuntimeError> {
        let deadline = Instant::now() + ANSWER_WITHIN;
        loop {
            let polled = *self
                .state
                .first_poll
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(at) = polled {
                return Ok(at - self.started);
            }
            self.alive()?;
            if let Ok(Err(error)) = self.answers.try_recv() {
                return Err(RuntimeError::Failed(format!("init: {error}")));
            }
            if Instant::now() > deadline {
                return Err(RuntimeError::Failed(format!(
                    "no request for an invocation within {ANSWER_WITHIN:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// One invocation with `payload`: its answer and how long it took (handed over until
    /// answered).
    pub async fn invoke(&mut self, payload: &Value) -> Result<(Value, Duration), RuntimeError> {
        self.invocations += 1;
        let id = format!("bench-{}-{}", std::process::id(), self.invocations);
        let started = Instant::now();
        self.events
            .send((id, Bytes::from(payload.to_string())))
            .map_err(|_| RuntimeError::Failed("the runtime API stand-in stopped".into()))?;
        let deadline = started + ANSWER_WITHIN;
        loop {
            match tokio::time::timeout(Duration::from_millis(100), self.answers.recv()).await {
                Ok(Some(Ok(answer))) => return Ok((answer, started.elapsed())),
                Ok(Some(Err(error))) => return Err(RuntimeError::Failed(error)),
                Ok(None) => return Err(RuntimeError::Failed("the stand-in stopped".into())),
                Err(_) => {}
            }
            self.alive()?;
            if Instant::now() > deadline {
                return Err(RuntimeError::Failed(format!(
                    "no answer within {ANSWER_WITHIN:?}"
                )));
            }
        }
    }

    /// The process's peak resident set so far (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> Result<u64, RuntimeError> {
        let path = format!("/proc/{}/status", self.child.id());
        let status = std::fs::read_to_string(&path).map_err(|source| RuntimeError::Process {
            what: format!("read {path}"),
            source,
        })?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .ok_or_else(|| RuntimeError::Failed(format!("no VmHWM in {path}")))
    }

    /// An error if the process has exited.
    fn alive(&mut self) -> Result<(), RuntimeError> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(RuntimeError::Failed(format!("exited: {status}"))),
            Err(source) => Err(RuntimeError::Process {
                what: "wait for the function".into(),
                source,
            }),
        }
    }
}

impl Drop for FunctionProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.server.abort();
    }
}

/// The variables Lambda sets in a function's environment that a runtime client reads.
fn lambda_env(api: SocketAddr) -> [(&'static str, String); 5] {
    [
        ("AWS_LAMBDA_RUNTIME_API", api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", "grkeeper-bench".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench".into()),
    ]
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let body = request.into_body().collect().await?.to_bytes();
    let text = || String::from_utf8_lossy(&body).into_owned();
    let accepted = || reply(StatusCode::ACCEPTED, Bytes::new(), None);
    if method == Method::GET && path == "/2018-06-01/runtime/invocation/next" {
        state
            .first_poll
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert_with(Instant::now);
        let next = state.events.lock().await.recv().await;
        return Ok(match next {
            Some((id, payload)) => reply(StatusCode::OK, payload, Some(&id)),
            None => reply(StatusCode::GONE, Bytes::new(), None),
        });
    }
    if method == Method::POST && path == "/2018-06-01/runtime/init/error" {
        let _ = state.answers.send(Err(text()));
        return Ok(accepted());
    }
    if method == Method::POST && path.ends_with("/response") {
        let answer = serde_json::from_slice(&body).map_err(|e| format!("{e}: {}", text()));
        let _ = state.answers.send(answer);
        return Ok(accepted());
    }
    if method == Method::POST && path.ends_with("/error") {
        let _ = state.answers.send(Err(text()));
        return Ok(accepted());
    }
    Ok(reply(StatusCode::NOT_FOUND, Bytes::new(), None))
}

fn reply(status: StatusCode, body: Bytes, request_id: Option<&str>) -> Response<Full<Bytes>> {
    let mut response = Response::builder().status(status);
    if let Some(id) = request_id {
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
            + ANSWER_WITHIN.as_millis();
        response = response
            .header("Lambda-Runtime-Aws-Request-Id", id)
            .header("Lambda-Runtime-Deadline-Ms", deadline.to_string())
            .header(
                "Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:us-east-1:123456789012:function:grkeeper-bench",
            )
            .header(
                "Lambda-Runtime-Trace-Id",
                "Root=1-00000000-000000000000000000000000",
            )
            .header("content-type", "application/json");
    }
    response
        .body(Full::new(body))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}
