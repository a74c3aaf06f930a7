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
    /// Minor version (0, 4 or 7).
    pub minor: u16,
    /// Patch version (36).
    pub patch: u16,
}

/// Why a version text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid MySQL version '{0}' (expected e.g. 8.0.36)")]
pub struct VersionError(pub String);

/// How Group Replication ranks a member's version against its group's
/// (plugin `compatibility_module.cc`; docs/group-replication.md, "Versions").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compatibility {
    /// Joins, and is writable in multi-primary mode.
    Compatible,
    /// Newer than the group's lowest version: joins but stays super-read-only.
    ReadCompatible,
    /// Older than the group's lowest version: refused.
    LowerVersion,
}

impl Version {
    /// Ranks `self` against the versions of a group's members (with or without `self`).
    pub(crate) fn compatibility(self, group: &[Version]) -> Compatibility {
        // When `self` and every member run one LTS series (8.4, or 9.7), every release of it
        // counts as one version, so an 8.4.0 joins an 8.4.2 group read-write (the plugin's
        // `do_all_versions_belong_to_the_same_lts`). Otherwise, 8.0 and a group mixing 8.4 and
        // 9.7 during an upgrade included, the full major.minor.patch is compared.
        let series = self.lts_series();
        if series.is_some() && group.iter().all(|v| v.lts_series() == series) {
            return Compatibility::Compatible;
        }
        match group.iter().min() {
            Some(&lowest) if self > lowest => Compatibility::ReadCompatible,
            Some(&lowest) if self < lowest => Compatibility::LowerVersion,
            _ => Compatibility::Compatible,
        }
    }

    /// From 9.0 on a client refused by offline mode is told when and why it was set, when the
    /// server recorded a reason (`ER_SERVER_OFFLINE_MODE_REASON`).
    pub(crate) fn tells_offline_reason(self) -> bool {
        self.major >= 9
    }

    /// RDS writes transactions under a new 9.7 instance's own server_uuid while it creates it.
    pub(crate) fn writes_initialization_gtids(self) -> bool {
        (self.major, self.minor) == (9, 7)
    }

    /// The LTS series: 8.4, and `x.7` from 9 on (the 9.7 plugin's `is_lts_version`).
    fn lts_series(self) -> Option<(u16, u16)> {
        let lts = (self.major, self.minor) == (8, 4) || (self.major >= 9 && self.minor == 7);
        lts.then_some((self.major, self.minor))
    }
}

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

    #[test]
    fn versions_rank_by_patch_on_8_0_and_as_one_inside_the_8_4_series() {
        let v = |text: &str| text.parse::<Version>().unwrap();
        let group_80 = [v("8.0.36"), v("8.0.37")];
        assert_eq!(
            v("8.0.35").compatibility(&group_80),
            Compatibility::LowerVersion
        );
        assert_eq!(
            v("8.0.36").compatibility(&group_80),
            Compatibility::Compatible
        );
        assert_eq!(
            v("8.0.37").compatibility(&group_80),
            Compatibility::ReadCompatible
        );
        let group_84 = [v("8.4.1"), v("8.4.2")];
        assert_eq!(
            v("8.4.0").compatibility(&group_84),
            Compatibility::Compatible
        );
        assert_eq!(
            v("8.4.3").compatibility(&group_84),
            Compatibility::Compatible
        );
        assert_eq!(
            v("8.0.36").compatibility(&group_84),
            Compatibility::LowerVersion
        );
        assert_eq!(
            v("8.4.0").compatibility(&group_80),
            Compatibility::ReadCompatible
        );
    }

    #[test]
    fn the_9_7_series_counts_as_one_and_a_mixed_8_4_and_9_7_group_compares_full_versions() {
        let v = |text: &str| text.parse::<Version>().unwrap();
        let group_97 = [v("9.7.1"), v("9.7.2")];
        assert_eq!(
            v("9.7.0").compatibility(&group_97),
            Compatibility::Compatible
        );
        assert_eq!(
            v("8.4.3").compatibility(&group_97),
            Compatibility::LowerVersion
        );
        let upgrading = [v("8.4.3"), v("9.7.0")];
        assert_eq!(
            v("9.7.1").compatibility(&upgrading),
            Compatibility::ReadCompatible
        );
        assert_eq!(
            v("8.4.1").compatibility(&upgrading),
            Compatibility::LowerVersion
        );
        assert_eq!(
            v("8.4.3").compatibility(&upgrading),
            Compatibility::Compatible
        );
        assert_eq!(
            v("9.3.0").compatibility(&[v("9.3.0"), v("9.3.1")]),
            Compatibility::Compatible
        );
        assert_eq!(
            v("9.3.1").compatibility(&[v("9.3.0")]),
            Compatibility::ReadCompatible
        );
    }
}
