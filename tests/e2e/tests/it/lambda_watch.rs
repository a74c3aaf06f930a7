//! cargo-lambda as the README shows it: `cargo lambda watch` serves the Lambda Runtime API to
//! the `rds-event` function, and `cargo lambda invoke --data-file events/...` runs it on a sample
//! event, against the simulator.
//!
//! The function is the workspace's own debug build of it (`cargo build --workspace --tests --bin
//! rds-event`: the feature resolution the test run was built with, so only the function links),
//! run as Lambda runs it, with the harness's environment, and pointed at `cargo lambda watch
//! --only-lambda-apis`. Left to build it, `cargo lambda watch` would resolve the function's
//! dependencies alone and compile the whole AWS SDK once more (minutes of a CI run).

use std::collections::BTreeMap;
use std::io::BufRead;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use grkeeper_e2e::harness::Harness;
use grkeeper_e2e::invoke::taken;
use grkeeper_e2e::tools::{py_tool, workspace_root};
use serde_json::Value;

/// The function answers a tick of three simulated members within seconds.
const INVOKE_WITHIN: Duration = Duration::from_secs(120);
/// `cargo lambda watch` listens within a second or two.
const READY_WITHIN: Duration = Duration::from_secs(60);
/// After SIGTERM, how long `cargo lambda watch` or the function may take to exit before they
/// are killed: a test must never wait on a process that ignores the signal.
const STOP_WITHIN: Duration = Duration::from_secs(10);

/// The executable of the workspace's bin target `name`, built (or found fresh) with the
/// workspace's feature resolution for tests. Panics with cargo's output if the build fails.
fn workspace_binary(name: &str) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    // Not the variables cargo and nextest set for a running test (this package's manifest
    // directory, name, binaries): a build script that tracks one (ring's tracks
    // CARGO_MANIFEST_DIR) would see another value than in the build that made this test, and
    // everything above it would compile again, and again in the next build.
    for (var, _) in std::env::vars_os() {
        if var.to_str().is_some_and(set_for_a_test) {
            command.env_remove(var);
        }
    }
    let output = command
        .args(["build", "--workspace", "--tests", "--bin", name, "--locked"])
        .args(["--message-format", "json-render-diagnostics"])
        .current_dir(workspace_root())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(output.status.success(), "cargo build --bin {name} failed");
    output
        .stdout
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| serde_json::from_str::<Value>(&line).ok())
        .find(|message| {
            message["reason"] == "compiler-artifact"
                && message["target"]["name"] == name
                && message["target"]["kind"][0] == "bin"
                && message["profile"]["test"] == false
        })
        .and_then(|artifact| artifact["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo build named no executable for {name}"))
}

/// Whether cargo or nextest sets the variable `name` for a test it runs.
fn set_for_a_test(name: &str) -> bool {
    ["CARGO_PKG_", "CARGO_BIN_EXE_", "NEXTEST", "__NEXTEST"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
        || [
            "CARGO_MANIFEST_DIR",
            "CARGO_MANIFEST_PATH",
            "CARGO_CRATE_NAME",
            "CARGO_BIN_NAME",
            "CARGO_PRIMARY_PACKAGE",
            "CARGO_TARGET_TMPDIR",
            "CARGO_RUSTC_CURRENT_DIR",
        ]
        .contains(&name)
}

/// A process in its own process group, stopped with everything it started on drop.
struct Group(Child);

impl Group {
    fn spawn(command: &mut Command, log: &Path) -> Group {
        let log = std::fs::File::create(log).unwrap();
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap();
        Group(child)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let signal = |name: &str| Command::new("kill").args([name, "--", &group]).status();
        let _ = signal("-TERM");
        let deadline = Instant::now() + STOP_WITHIN;
        while Instant::now() < deadline {
            if !matches!(self.0.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whatever is left of the group is killed.
        let _ = signal("-KILL");
        let _ = self.0.wait();
    }
}

/// `cargo lambda watch --only-lambda-apis`: the invoke API and the Lambda Runtime API.
struct Watch {
    process: Group,
    port: u16,
}

impl Watch {
    fn start(log: &Path) -> Watch {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = Group::spawn(
            Command::new(py_tool("cargo-lambda").unwrap())
                .args(["lambda", "watch", "--only-lambda-apis"])
                .args(["--invoke-address", "127.0.0.1"])
                .args(["--invoke-port", &port.to_string()])
                .current_dir(workspace_root()),
            log,
        );
        Watch { process, port }
    }

    /// The function `name` as Lambda starts it: its environment, and the Runtime API watch
    /// serves for it (`/.rt/<name>`, where `cargo lambda invoke <name>` sends its events).
    fn function(
        &self,
        binary: &Path,
        name: &str,
        env: &BTreeMap<String, String>,
        log: &Path,
    ) -> Group {
        Group::spawn(
            Command::new(binary)
                .envs(env)
                .env("AWS_LAMBDA_FUNCTION_NAME", name)
                .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
                .env(
                    "AWS_LAMBDA_RUNTIME_API",
                    format!("http://127.0.0.1:{}/.rt/{name}", self.port),
                ),
            log,
        )
    }

    /// Waits until the emulator accepts connections, or `cargo lambda watch` has exited.
    async fn ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < READY_WITHIN {
            if let Some(status) = self.process.0.try_wait().unwrap() {
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

#[tokio::test]
async fn cargo_lambda_invoke_runs_the_rds_event_function_on_a_sample_event_against_the_simulator() {
    let binary = workspace_binary("rds-event");
    let h = Harness::start_without_gr_on_boot().await.unwrap();
    h.restart_offline("orders-1").await.unwrap();
    let committed = h.sim.truth().all_executed();
    let dir = std::env::temp_dir().join(format!("grkeeper-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut env = h.env();
    // The harness's TLS off and endpoint overrides are refused in a function unless it is told
    // it runs locally.
    env.insert("GRKEEPER_LOCAL_RUN".to_owned(), "on".to_owned());
    let (watch_log, function_log) = (dir.join("watch.log"), dir.join("function.log"));
    let mut watch = Watch::start(&watch_log);
    let logs = || {
        let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
        format!(
            "cargo lambda watch said:\n{}\nthe function said:\n{}",
            read(&watch_log),
            read(&function_log)
        )
    };
    if let Err(e) = watch.ready().await {
        panic!("{e}\n{}", logs());
    }
    let function = watch.function(&binary, "rds-event", &env, &function_log);

    let output = watch
        .invoke("rds-event", "events/rds-instance-restarted.json", &dir)
        .await;

    let summary = output.unwrap_or_else(|e| panic!("{e}\n{}", logs()));
    assert_eq!(summary["trigger"], "rds_instance_event", "{summary:#}");
    assert_eq!(taken(&summary), ["rejoin orders-1 verified"], "{summary:#}");
    h.wait_converged(&committed).await.unwrap();
    assert_eq!(
        h.journaled_actions().await.unwrap(),
        ["rejoin orders-1 succeeded"]
    );
    drop(function);
    drop(watch);
    let _ = std::fs::remove_dir_all(&dir);
}
