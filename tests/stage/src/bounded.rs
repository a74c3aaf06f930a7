//! Runs a binary of the workspace (`grkeeper`, `demo`) with a bound: a command that hangs fails
//! its test (and is killed) instead of holding up the run. Output is read while it runs, so a
//! chatty command never blocks on a full pipe.
// Test support: what cannot be set up fails the calling test with a message, as a test does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What a finished command printed, and how it ended.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

impl Finished {
    /// The exit code (`None` if a signal ended it).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Stderr, which must be exactly one line.
    pub fn one_line_of_stderr(&self) -> &str {
        let line = self.stderr.strip_suffix('\n').unwrap_or(&self.stderr);
        assert!(
            line.starts_with("grkeeper: ") && !line.contains('\n'),
            "stderr is not one grkeeper line: {:?}",
            self.stderr
        );
        line
    }
}

/// `program <args>` with only the environment given (nothing inherited), within `bound`.
pub fn run(program: &str, args: &[&str], env: &[(&str, &str)], bound: Duration) -> Finished {
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = reader(child.stdout.take().unwrap());
    let stderr = reader(child.stderr.take().unwrap());
    let status = wait(&mut child, bound);
    let finished = Finished {
        status: status.unwrap_or_else(|| {
            let _ = child.kill();
            child.wait().unwrap()
        }),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
        took: started.elapsed(),
    };
    assert!(
        status.is_some(),
        "{program} {args:?} still ran after {bound:?} and was killed; it printed:\n{}\n{}",
        finished.stdout,
        finished.stderr
    );
    finished
}

fn reader(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// The exit status, or `None` once `bound` has passed.
fn wait(child: &mut Child, bound: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + bound;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}
