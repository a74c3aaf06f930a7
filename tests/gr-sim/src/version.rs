//! MySQL server versions (`8.0.36`): parsed, ordered and printed for the version join rules.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// `major.minor.patch`, ordered the way Group Replication compares members (full triple).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Version {
    /// Major version (8).
    pub major: u16,
    /// Minor version (0 or 4).
    pub minor: u16,
    /// Patch version (36).
    pub patch: u16,
}

/// Why a version text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid MySQL version '{0}' (expected e.g. 8.0.36)")]
pub struct VersionError(pub String);

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || VersionError(text.to_string());
        let mut parts = text.trim().splitn(3, '.');
        let mut next = || -> Result<u16, VersionError> {
            let part = parts.next().ok_or_else(bad)?;
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().map_err(|_| bad())
        };
        Ok(Version {
            major: next()?,
            minor: next()?,
            patch: next()?,
        })
    }
}

impl TryFrom<String> for Version {
    type Error = VersionError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Version> for String {
    fn from(v: Version) -> String {
        v.to_string()
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order_by_patch() {
        let a: Version = "8.0.36".parse().unwrap();
        let b: Version = "8.0.37-log".parse().unwrap();
        assert!(a < b);
        assert_eq!(b.to_string(), "8.0.37");
        assert!("8.0".parse::<Version>().is_err());
    }
}
