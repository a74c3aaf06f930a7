//! cargo-lambda as the README shows it: `cargo lambda watch` serves the functions from source
//! with the harness's environment, and `cargo lambda invoke --data-file events/...` runs one on
//! a sample event. The first invoke waits for cargo-lambda's own debug build of the function.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use grkeeper_e2e::harness::Harness;
use grkeeper_e2e::invoke::taken;
use grkeeper_e2e::tools::{py_tool, workspace_root};
use serde_json::Value;

/// The first invoke builds the function (seconds when the workspace is built, minutes cold).
const INVOKE_WITHIN: Duration = Duration::from_secs(900);
/// `cargo lambda watch` listens within a second or two.
const READY_WITHIN: Duration = Duration::from_secs(60);
/// After SIGTERM, how long `cargo lambda watch` and its functions may take to exit before they
/// are killed: a test must never wait on a process that ignores the signal.
const STOP_WITHIN: Duration = Duration::from_secs(10);

/// `cargo lambda watch` in its own process group, killed with everything it started on drop.
struct Watch {
    child: Child,
    port: u16,
}

impl Watch {
    fn start(env_file: &Path, log: &Path) -> Watch {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(log).unwrap();
        let child = Command::new(py_tool("cargo-lambda").unwrap())
            .args(["lambda", "watch", "--invoke-address", "127.0.0.1"])
            .args(["--invoke-port", &port.to_string()])
            .arg("--env-file")
            .arg(env_file)
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            // The function processes it starts die with it.
            .process_group(0)
            .spawn()
            .unwrap();
        Watch { child, port }
    }

    /// Waits until the emulator accepts connections, or `cargo lambda watch` has exited.
    async fn ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < READY_WITHIN {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(format!("cargo lambda watch exited: {status}"));
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!(
            "cargo lambda watch not listening after {READY_WITHIN:?}"
        ))
    }

    /// `cargo lambda invoke FUNCTION --data-file FILE`: the function's JSON output. Polled, not
    /// waited for, so the simulator and the bridge keep running on this test's runtime.
    async fn invoke(&self, function: &str, data_file: &str, dir: &Path) -> Result<Value, String> {
        let (out, err) = (dir.join("invoke.out"), dir.join("invoke.err"));
        let mut child = Command::new(py_tool("cargo-lambda").unwrap())
            .args([
                "lambda",
                "invoke",
                function,
                "--invoke-address",
                "127.0.0.1",
            ])
            .args(["--invoke-port", &self.port.to_string()])
            .args(["--data-file", data_file, "--output-format", "json"])
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > INVOKE_WITHIN {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no answer within {INVOKE_WITHIN:?}"));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let stdout = std::fs::read_to_string(&out).unwrap_or_default();
        if !status.success() {
            let stderr = std::fs::read_to_string(&err).unwrap_or_default();
            return Err(format!("{status}: {stdout}{stderr}"));
        }
        serde_json::from_str(&stdout).map_err(|e| format!("{e}: {stdout}"))
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let signal = |name: &str| Command::new("kill").args([name, "--", &group]).status();
        let _ = signal("-TERM");
        let deadline = Instant::now() + STOP_WITHIN;
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whatever is left of the group (the leader, or functions it started) is killed.
        let _ = signal("-KILL");
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn cargo_lambda_invoke_runs_the_rds_event_function_on_a_sample_event_against_the_simulator() {
    let h = Harness::start_without_gr_on_boot().await.unwrap();
    h.restart_offline("orders-1").await.unwrap();
    let committed = h.sim.truth().all_executed();
    let dir = std::env::temp_dir().join(format!("grkeeper-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let env_file = dir.join("function.env");
    let mut file = std::fs::File::create(&env_file).unwrap();
    for (name, value) in h.env() {
        // Quoted: dotenv syntax reads `:` and `/` in a bare value as errors.
        writeln!(file, "{name}=\"{value}\"").unwrap();
    }
    // The harness's TLS off and endpoint overrides are refused in a function unless it is told
    // it runs locally.
    writeln!(file, "GRKEEPER_LOCAL_RUN=\"on\"").unwrap();
    let log = dir.join("watch.log");
    let mut watch = Watch::start(&env_file, &log);
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    if let Err(e) = watch.ready().await {
        panic!("{e}\ncargo lambda watch said:\n{}", log_text());
    }

    let output = watch
        .invoke("rds-event", "events/rds-instance-restarted.json", &dir)
        .await;

    let summary =
        output.unwrap_or_else(|e| panic!("{e}\ncargo lambda watch said:\n{}", log_text()));
    assert_eq!(summary["trigger"], "rds_instance_event", "{summary:#}");
    assert_eq!(taken(&summary), ["rejoin orders-1 verified"], "{summary:#}");
    h.wait_converged(&committed).await.unwrap();
    assert_eq!(
        h.journaled_actions().await.unwrap(),
        ["rejoin orders-1 succeeded"]
    );
    drop(watch);
    let _ = std::fs::remove_dir_all(&dir);
}
