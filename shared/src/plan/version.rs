//! MySQL version rules for joining a group (`docs/group-replication.md`): a joiner newer than the
//! group's lowest version joins read-only, an older one is refused; but inside the 8.4 series every
//! version counts as one (the plugin's `do_all_versions_belong_to_the_same_lts`), so any 8.4.x
//! joins an 8.4 group read-write.

use std::cmp::Ordering;

/// A `major.minor.patch` server version; suffixes such as `-log` are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// Parses `8.0.36`, `8.4.3-log`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Version> {
        let mut parts = text.trim().split('.').map(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        });
        let (major, minor, patch) = (parts.next()??, parts.next()??, parts.next()??);
        Some(Version(major, minor, patch))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// What happens when a member of version `joiner` joins a group whose lowest version is `lowest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinRule {
    /// Same version as the lowest: joins read-write.
    ReadWrite,
    /// Newer than the lowest: joins, but stays read-only until the others are upgraded.
    ReadOnly,
    /// Older than the lowest: GR refuses the join.
    Refused,
}

pub(crate) fn join_rule(joiner: Version, lowest: Version) -> JoinRule {
    let same_lts = (joiner.0, joiner.1) == (8, 4) && (lowest.0, lowest.1) == (8, 4);
    match joiner.cmp(&lowest) {
        _ if same_lts => JoinRule::ReadWrite,
        Ordering::Equal => JoinRule::ReadWrite,
        Ordering::Greater => JoinRule::ReadOnly,
        Ordering::Less => JoinRule::Refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rds_version_strings() {
        assert_eq!(Version::parse("8.0.36"), Some(Version(8, 0, 36)));
        assert_eq!(Version::parse("8.4.3-log"), Some(Version(8, 4, 3)));
        assert_eq!(Version::parse("8.0"), None);
        assert_eq!(Version::parse(""), None);
    }

    #[test]
    fn join_rules_follow_the_8_0_and_8_4_policies() {
        let v = |s| Version::parse(s).unwrap();
        assert_eq!(join_rule(v("8.0.36"), v("8.0.36")), JoinRule::ReadWrite);
        assert_eq!(join_rule(v("8.0.37"), v("8.0.36")), JoinRule::ReadOnly);
        assert_eq!(join_rule(v("8.0.35"), v("8.0.36")), JoinRule::Refused);
        assert_eq!(join_rule(v("8.4.1"), v("8.4.3")), JoinRule::ReadWrite);
        assert_eq!(join_rule(v("8.4.3"), v("8.4.1")), JoinRule::ReadWrite);
        assert_eq!(join_rule(v("8.0.40"), v("8.4.0")), JoinRule::Refused);
    }
}
