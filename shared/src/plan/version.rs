//! MySQL version rules for joining a group (`docs/group-replication.md`, "Versions"), as the
//! joiner's Group Replication plugin applies them: when the joiner and every member of the group
//! run one long-term-support series (8.4, or 9.7) they all count as one version and the joiner
//! joins read-write (the plugin's `do_all_versions_belong_to_the_same_lts`); otherwise the joiner
//! compares its full version with the group's lowest: the same joins read-write, a newer one
//! joins read-only, an older one is refused. A group mixing 8.4 and 9.7 during an upgrade is not
//! one series, so inside it even an older 8.4.x is refused.

use std::cmp::Ordering;

/// The one order of a rolling upgrade, for every message that tells it: on 8.0 (and across
/// series) the members newer than the group's lowest version are read-only and the lowest-version
/// members take the writes, so those go last; when the last of them goes down, Group Replication
/// makes the upgraded members writable. Inside one long-term-support series the order does not
/// matter for writes, and the same order serves.
pub(crate) const UPGRADE_ORDER: &str =
    "members on newer versions first, the lowest-version members last";

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

    /// The long-term-support series (`major.minor`) this version belongs to: 8.4, and from 9 on
    /// every `x.7` (the 9.7 plugin's `is_lts_version`); `None` for 8.0 and innovation releases.
    pub fn lts_series(self) -> Option<(u32, u32)> {
        let lts = (self.0, self.1) == (8, 4) || (self.0 >= 9 && self.1 == 7);
        lts.then_some((self.0, self.1))
    }

    /// RDS may write transactions under a new DB instance's own `server_uuid` while it creates it
    /// (initialization GTIDs): documented for the 9.7 series only.
    pub fn writes_initialization_gtids(self) -> bool {
        (self.0, self.1) == (9, 7)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// True when every version belongs to one long-term-support series: Group Replication then
/// counts them as one version.
pub(crate) fn one_lts_series(versions: impl IntoIterator<Item = Version>) -> bool {
    let mut series = versions.into_iter().map(Version::lts_series);
    match series.next() {
        Some(Some(first)) => series.all(|s| s == Some(first)),
        _ => false,
    }
}

/// What happens when a member of version `joiner` joins a group whose members run `group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinRule {
    /// Same version as the lowest (or one series with every member): joins read-write.
    ReadWrite,
    /// Newer than the lowest: joins, but stays read-only until the others are upgraded.
    ReadOnly,
    /// Older than the lowest: GR refuses the join.
    Refused,
}

/// The rule for `joiner` against the versions of the group's members (which may include the
/// joiner itself, as for a member already in the group); an empty group accepts anyone.
pub(crate) fn join_rule(joiner: Version, group: &[Version]) -> JoinRule {
    let Some(&lowest) = group.iter().min() else {
        return JoinRule::ReadWrite;
    };
    if one_lts_series(group.iter().copied().chain([joiner])) {
        return JoinRule::ReadWrite;
    }
    match joiner.cmp(&lowest) {
        Ordering::Equal => JoinRule::ReadWrite,
        Ordering::Greater => JoinRule::ReadOnly,
        Ordering::Less => JoinRule::Refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    fn rule(joiner: &str, group: &[&str]) -> JoinRule {
        let group: Vec<Version> = group.iter().map(|g| v(g)).collect();
        join_rule(v(joiner), &group)
    }

    #[test]
    fn parses_rds_version_strings() {
        assert_eq!(Version::parse("8.0.36"), Some(Version(8, 0, 36)));
        assert_eq!(Version::parse("8.4.3-log"), Some(Version(8, 4, 3)));
        assert_eq!(Version::parse("9.7.0"), Some(Version(9, 7, 0)));
        assert_eq!(Version::parse("8.0"), None);
        assert_eq!(Version::parse(""), None);
    }

    #[test]
    fn join_rules_follow_the_8_0_policy() {
        assert_eq!(rule("8.0.36", &["8.0.36"]), JoinRule::ReadWrite);
        assert_eq!(rule("8.0.37", &["8.0.36", "8.0.37"]), JoinRule::ReadOnly);
        assert_eq!(rule("8.0.35", &["8.0.36"]), JoinRule::Refused);
        assert_eq!(rule("8.0.40", &["8.4.0"]), JoinRule::Refused);
        assert_eq!(rule("8.4.0", &["8.0.40"]), JoinRule::ReadOnly);
    }

    #[test]
    fn every_version_of_one_lts_series_counts_as_one() {
        assert_eq!(rule("8.4.1", &["8.4.3", "8.4.2"]), JoinRule::ReadWrite);
        assert_eq!(rule("8.4.3", &["8.4.1"]), JoinRule::ReadWrite);
        assert_eq!(rule("9.7.0", &["9.7.2", "9.7.1"]), JoinRule::ReadWrite);
        assert_eq!(rule("9.7.3", &["9.7.0"]), JoinRule::ReadWrite);
        assert_eq!(rule("8.4.2", &[]), JoinRule::ReadWrite);
    }

    #[test]
    fn a_group_mixing_8_4_and_9_7_compares_full_versions() {
        // Upgrading 8.4 to 9.7: the upgraded members join read-only, a lower one is refused.
        assert_eq!(rule("9.7.0", &["8.4.3", "8.4.3"]), JoinRule::ReadOnly);
        assert_eq!(rule("8.4.3", &["8.4.3", "9.7.0"]), JoinRule::ReadWrite);
        assert_eq!(rule("8.4.3", &["9.7.0"]), JoinRule::Refused);
        // Not one series any more: inside the mixed group an older 8.4.x is refused too.
        assert_eq!(rule("8.4.1", &["8.4.3", "9.7.0"]), JoinRule::Refused);
        assert_eq!(rule("8.4.5", &["8.4.3", "9.7.0"]), JoinRule::ReadOnly);
    }

    #[test]
    fn only_8_4_and_x_7_from_9_on_are_lts_series() {
        assert_eq!(v("8.4.9").lts_series(), Some((8, 4)));
        assert_eq!(v("9.7.1").lts_series(), Some((9, 7)));
        assert_eq!(v("8.0.40").lts_series(), None);
        assert_eq!(v("9.3.0").lts_series(), None);
        assert_eq!(v("8.7.0").lts_series(), None);
        assert!(!one_lts_series([v("9.3.0"), v("9.3.0")]));
        assert!(!one_lts_series([]));
        assert!(v("9.7.0").writes_initialization_gtids());
        assert!(!v("8.4.3").writes_initialization_gtids());
        assert!(!v("10.7.0").writes_initialization_gtids());
    }
}
