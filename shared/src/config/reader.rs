//! Reads variables one by one and collects every problem, each naming its variable.

use std::fmt;
use std::time::Duration;

/// One bad or missing variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The variable's name.
    pub variable: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

/// The configuration is unusable; every problem found is listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {}", list(.problems))]
pub struct ConfigError {
    /// Each problem, in the order the variables were read.
    pub problems: Vec<Problem>,
}

impl ConfigError {
    /// Stable kind for logs and metrics.
    pub fn kind(&self) -> &'static str {
        "config"
    }
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A variable lookup plus the problems found so far.
pub(super) struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<Problem>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Reader {
            lookup,
            problems: Vec::new(),
        }
    }

    /// The trimmed value; empty counts as unset.
    pub(super) fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    pub(super) fn problem(&mut self, name: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            variable: name.to_owned(),
            message: message.into(),
        });
    }

    pub(super) fn required(&mut self, name: &str) -> Option<String> {
        let value = self.get(name);
        if value.is_none() {
            self.problem(name, "required, but not set");
        }
        value
    }

    /// A value parsed by `parse`, or `default` when unset; a bad value is a problem saying
    /// `expected <expected>, got "<value>"`.
    pub(super) fn parsed<T>(
        &mut self,
        name: &str,
        default: T,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> T {
        let Some(text) = self.get(name) else {
            return default;
        };
        match parse(&text) {
            Some(value) => value,
            None => {
                self.problem(name, format!("expected {expected}, got {text:?}"));
                default
            }
        }
    }

    pub(super) fn number<T: std::str::FromStr>(
        &mut self,
        name: &str,
        default: T,
        expected: &str,
    ) -> T {
        self.parsed(name, default, expected, |text| text.parse().ok())
    }

    /// A whole, positive number of milliseconds.
    pub(super) fn millis(&mut self, name: &str, default: u64) -> Duration {
        let ms = self.parsed(
            name,
            default,
            "milliseconds as a whole number above 0",
            positive,
        );
        Duration::from_millis(ms)
    }

    /// A whole, positive number of seconds.
    pub(super) fn secs(&mut self, name: &str, default: u64) -> Duration {
        let secs = self.parsed(name, default, "seconds as a whole number above 0", positive);
        Duration::from_secs(secs)
    }

    pub(super) fn finish(self) -> Result<(), ConfigError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError {
                problems: self.problems,
            })
        }
    }
}

fn positive(text: &str) -> Option<u64> {
    text.parse::<u64>().ok().filter(|n| *n > 0)
}
