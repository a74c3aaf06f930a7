//! A moto server on loopback: the local stand-in for every AWS API the tests touch.
//!
//! ```no_run
//! # async fn example() -> Result<(), grkeeper_e2e::moto::MotoError> {
//! use grkeeper_e2e::moto::Moto;
//! let moto = Moto::start().await?; // its own free port on 127.0.0.1, ready when this returns
//! let config = moto.sdk_config().await; // region us-east-1, dummy credentials, endpoint = moto
//! let sqs = aws_sdk_sqs::Client::new(&config);
//! sqs.create_queue().queue_name("alerts").send().await.ok();
//! // A process under test (e.g. `cargo lambda watch`) gets the same through its environment:
//! let env = moto.env(); // AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, ...
//! moto.reset().await?; // forget every resource, keep the server
//! # drop(env);
//! # Ok(()) }
//! // Dropping `moto` kills the server.
//! ```
//!
//! Each test starts its own server (nextest runs every test in its own process; one server costs
//! ~0.7 s and ~210 MB), so tests never see each other's resources. The server stops when the
//! [`Moto`] is dropped, and also when the test process dies without dropping it: it runs under a
//! watchdog that exits as soon as its stdin, a pipe only this process holds, reaches end of file.
//! It serves one request at a time, so conditional writes are atomic as on AWS (see `LAUNCHER`).
//! Known gaps of moto (no `rebooting` status, `TestEventPattern` always false, schedules never
//! fire) are listed in `docs/testing.md`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use aws_config::{ConfigLoader, Region, SdkConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::tools::{self, MissingTool};

/// The Region every test uses (moto keeps state per Region).
pub const REGION: &str = "us-east-1";
/// The account moto answers as.
pub const ACCOUNT_ID: &str = "123456789012";

/// Start-up bound: moto is ready in ~0.7 s alone, but tests start several at once on 2 cores.
const READY_WITHIN: Duration = Duration::from_secs(30);
/// A port freed for moto may be taken by another process before moto binds it: try again.
const START_ATTEMPTS: usize = 3;
/// Bound for one control request (readiness probe, reset).
const CONTROL_TIMEOUT: Duration = Duration::from_secs(10);
/// The readiness probe: read-only, and logged by the server (one line per request).
const PROBE: &str = "/moto-api/data.json";

/// Runs the `moto_server` console script (argv[1]) with its arguments (argv[2:]) in this Python,
/// after starting a thread that ends the process when stdin reaches end of file, and with every
/// request served one at a time.
///
/// Why one at a time: moto's server answers each request on a thread of its own, and its
/// backends check a condition and then write without a lock (DynamoDB's `update_item` reads the
/// item, evaluates the condition, validates the update, then applies it). Two racing conditional
/// writes can then both succeed, which DynamoDB never allows, and the lease tests would pass or
/// fail by luck. moto has no single-threaded option, so its WSGI app runs behind one lock, body
/// included; connections are still accepted concurrently, so an idle keep-alive connection
/// never holds up another client.
const LAUNCHER: &str = "\
import os, runpy, sys, threading
import moto.server
def watch():
    sys.stdin.buffer.read()
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
lock = threading.Lock()
def serialized(app):
    def one_at_a_time(environ, start_response):
        with lock:
            result = app(environ, start_response)
            try:
                return [b''.join(result)]
            finally:
                getattr(result, 'close', lambda: None)()
    return one_at_a_time
serve = moto.server.run_simple
moto.server.run_simple = lambda host, port, app, **options: serve(host, port, serialized(app), **options)
script = sys.argv[1]
sys.argv = [script] + sys.argv[2:]
runpy.run_path(script, run_name='__main__')
";

/// Why a moto server could not be started or controlled.
#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    /// `scripts/setup` has not installed the pinned tools.
    #[error(transparent)]
    MissingTool(#[from] MissingTool),
    /// The process could not be spawned, or its log file created.
    #[error("cannot start moto server: {0}")]
    Spawn(#[source] std::io::Error),
    /// The server exited during start-up on every attempt.
    #[error("moto server exited during start-up ({status}); its log:\n{log}")]
    Exited {
        /// Its exit status.
        status: ExitStatus,
        /// The end of its log.
        log: String,
    },
    /// The server did not answer within [`READY_WITHIN`].
    #[error("moto server on 127.0.0.1:{port} not ready after {waited:?}; its log:\n{log}")]
    NotReady {
        /// The port it was told to use.
        port: u16,
        /// How long the start waited.
        waited: Duration,
        /// The end of its log.
        log: String,
    },
    /// A request to moto's own control API (`/moto-api/...`) failed.
    #[error("moto control request {path} failed: {reason}")]
    Control {
        /// The control path.
        path: &'static str,
        /// What went wrong.
        reason: String,
    },
}

/// A running moto server bound to 127.0.0.1. Dropping it stops the server.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    // Held only to be closed: the watchdog in the server exits when this pipe closes.
    _lifeline: Option<ChildStdin>,
    port: u16,
    endpoint: String,
    log: PathBuf,
}

impl Moto {
    /// Starts a server on a free loopback port and waits until it answers.
    ///
    /// Fails (never skips) with "run scripts/setup" when the pinned moto is not installed.
    pub async fn start() -> Result<Self, MotoError> {
        let python = tools::py_tool("python3")?;
        let script = tools::py_tool("moto_server")?;
        let mut last = None;
        for _ in 0..START_ATTEMPTS {
            let mut moto = Self::spawn(&python, &script)?;
            match moto.wait_ready().await {
                Ok(()) => return Ok(moto),
                // Most likely the port was taken between choosing and binding it: pick another.
                Err(e @ MotoError::Exited { .. }) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or(MotoError::Spawn(std::io::Error::other("no start attempt"))))
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`: the endpoint for every service.
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint
    }

    /// The server's combined stdout/stderr (one line per request), for debugging a test.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// An SDK config loader aimed at this server: Region [`REGION`], dummy credentials, and the
    /// host's `AWS_*` variables and profile files ignored so a developer's setup cannot leak in.
    /// Adjust it before `.load()` if a test needs to; [`Moto::sdk_config`] loads it as is.
    pub fn config_loader(&self) -> ConfigLoader {
        grkeeper::adapters::aws::defaults()
            .empty_test_environment()
            .region(Region::from_static(REGION))
            .endpoint_url(self.endpoint.clone())
            .test_credentials()
    }

    /// The SDK config for this server; build any client with `aws_sdk_x::Client::new(&config)`.
    pub async fn sdk_config(&self) -> SdkConfig {
        self.config_loader().load().await
    }

    /// Environment for a child process (a function under `cargo lambda watch`, the CLI) so that
    /// its SDK clients talk to this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_DEFAULT_REGION", REGION.to_owned()),
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            // Without this an SDK may look for an EC2 metadata service that is not there.
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ]
    }

    /// Forgets every resource in every service; the server keeps running.
    pub async fn reset(&self) -> Result<(), MotoError> {
        let status = self.control("POST", "/moto-api/reset").await?;
        if status == 200 {
            Ok(())
        } else {
            Err(MotoError::Control {
                path: "/moto-api/reset",
                reason: format!("HTTP status {status}"),
            })
        }
    }

    fn spawn(python: &Path, script: &Path) -> Result<Self, MotoError> {
        let port = free_port().map_err(MotoError::Spawn)?;
        let log =
            std::env::temp_dir().join(format!("grkeeper-moto-{}-{port}.log", std::process::id()));
        let out = File::create(&log).map_err(MotoError::Spawn)?;
        let err = out.try_clone().map_err(MotoError::Spawn)?;
        let mut child = Command::new(python)
            .arg("-c")
            .arg(LAUNCHER)
            .arg(script)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(MotoError::Spawn)?;
        let lifeline = child.stdin.take();
        Ok(Self {
            child,
            _lifeline: lifeline,
            port,
            endpoint: format!("http://127.0.0.1:{port}"),
            log,
        })
    }

    /// Polls until the server answers, it exits, or [`READY_WITHIN`] has passed.
    async fn wait_ready(&mut self) -> Result<(), MotoError> {
        let started = Instant::now();
        while started.elapsed() < READY_WITHIN {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(MotoError::Exited {
                    status,
                    log: self.log_tail(),
                });
            }
            // A read-only probe, and ours only if our server logged it: if ours failed to bind,
            // another test's server could hold the port and must not be mistaken for it.
            if let Ok(200) = self.control("GET", PROBE).await
                && std::fs::read_to_string(&self.log).is_ok_and(|log| log.contains(PROBE))
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(MotoError::NotReady {
            port: self.port,
            waited: started.elapsed(),
            log: self.log_tail(),
        })
    }

    /// A bodiless request to moto's control API; returns the HTTP status. Plain HTTP/1.1 by
    /// hand: the harness needs nothing more, and it keeps an HTTP client out of the dependencies.
    async fn control(&self, method: &str, path: &'static str) -> Result<u16, MotoError> {
        let fail = |reason: String| MotoError::Control { path, reason };
        let exchange = async {
            let mut stream = TcpStream::connect(("127.0.0.1", self.port)).await?;
            let request = format!(
                "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.port
            );
            stream.write_all(request.as_bytes()).await?;
            let mut response = Vec::new();
            stream.read_to_end(&mut response).await?;
            Ok::<_, std::io::Error>(response)
        };
        let response = tokio::time::timeout(CONTROL_TIMEOUT, exchange)
            .await
            .map_err(|_| fail(format!("no answer within {CONTROL_TIMEOUT:?}")))?
            .map_err(|e| fail(e.to_string()))?;
        // "HTTP/1.1 200 OK": the status is the second word of the first line.
        let head = String::from_utf8_lossy(&response[..response.len().min(64)]).into_owned();
        head.split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| fail(format!("unexpected response {head:?}")))
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // The watchdog would also end it once the pipe closes; killing makes it immediate.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A port the kernel just reported free on 127.0.0.1 (released again for moto to bind).
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
