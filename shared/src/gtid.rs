//! GTID sets: parse and print MySQL's text form, and the set arithmetic the planner needs
//! (union, intersection, difference, subset) as interval arithmetic.
//!
//! Text form, as `@@gtid_executed` prints it: `uuid:1-5:7,\nuuid2:1-3`; MySQL 8.4 adds tags,
//! which apply to the intervals after them: `uuid:1-5:audit:1-2` (tags are case-insensitive).
//! The empty string is the empty set.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Largest transaction number MySQL accepts (`GNO_END - 1`).
pub const MAX_GNO: u64 = i64::MAX as u64 - 1;

/// Where a GTID came from: a server (or group) UUID and an optional 8.4 tag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Source {
    /// Lowercase UUID, 36 characters.
    pub uuid: String,
    /// Lowercase tag, empty for untagged GTIDs.
    pub tag: String,
}

/// A set of GTIDs. Intervals are inclusive, sorted, non-overlapping and never adjacent, so two
/// equal sets always have equal representations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct GtidSet {
    sources: BTreeMap<Source, Vec<(u64, u64)>>,
}

/// Why a GTID set text did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GtidParseError {
    /// The UUID part is not 32 hex digits in the 8-4-4-4-12 layout.
    #[error("malformed UUID {0:?} in GTID set")]
    Uuid(String),
    /// A tag is not 1-32 characters of `[a-z0-9_]` starting with a letter or `_`.
    #[error("malformed tag {0:?} in GTID set")]
    Tag(String),
    /// An interval is not `n` or `a-b` with 1 <= a <= b <= MAX_GNO.
    #[error("malformed interval {0:?} in GTID set")]
    Interval(String),
    /// A UUID with no interval at all (`uuid` or `uuid:tag`).
    #[error("GTID set entry {0:?} has no transaction numbers")]
    Empty(String),
}

impl GtidSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when the set holds no GTID.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Adds the interval `start..=end` of `source`.
    pub fn insert_interval(&mut self, source: Source, start: u64, end: u64) {
        if start > end {
            return;
        }
        let intervals = self.sources.entry(source).or_default();
        intervals.push((start, end));
        normalize(intervals);
    }

    /// Number of transactions in the set (saturating).
    pub fn count(&self) -> u64 {
        self.sources
            .values()
            .flatten()
            .fold(0u64, |n, (a, b)| n.saturating_add(b - a + 1))
    }

    /// True when `source:gno` is in the set.
    pub fn contains(&self, source: &Source, gno: u64) -> bool {
        self.sources
            .get(source)
            .is_some_and(|iv| iv.iter().any(|&(a, b)| a <= gno && gno <= b))
    }

    /// Every GTID of either set.
    pub fn union(&self, other: &GtidSet) -> GtidSet {
        let mut out = self.clone();
        for (source, intervals) in &other.sources {
            let merged = out.sources.entry(source.clone()).or_default();
            merged.extend_from_slice(intervals);
            normalize(merged);
        }
        out
    }

    /// The GTIDs in both sets.
    pub fn intersection(&self, other: &GtidSet) -> GtidSet {
        let mut out = GtidSet::new();
        for (source, mine) in &self.sources {
            if let Some(theirs) = other.sources.get(source) {
                let both = intersect(mine, theirs);
                if !both.is_empty() {
                    out.sources.insert(source.clone(), both);
                }
            }
        }
        out
    }

    /// The GTIDs of `self` that are not in `other` (MySQL's `GTID_SUBTRACT(self, other)`).
    pub fn difference(&self, other: &GtidSet) -> GtidSet {
        let mut out = GtidSet::new();
        for (source, mine) in &self.sources {
            let rest = match other.sources.get(source) {
                Some(theirs) => subtract(mine, theirs),
                None => mine.clone(),
            };
            if !rest.is_empty() {
                out.sources.insert(source.clone(), rest);
            }
        }
        out
    }

    /// MySQL's `GTID_SUBSET(self, other)`.
    pub fn is_subset(&self, other: &GtidSet) -> bool {
        self.difference(other).is_empty()
    }

    /// True when the two sets share at least one GTID.
    pub fn intersects(&self, other: &GtidSet) -> bool {
        !self.intersection(other).is_empty()
    }
}

/// Sorts and merges overlapping or adjacent intervals in place.
fn normalize(intervals: &mut Vec<(u64, u64)>) {
    intervals.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(intervals.len());
    for &(a, b) in intervals.iter() {
        match merged.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    *intervals = merged;
}

fn intersect(a: &[(u64, u64)], b: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let lo = a[i].0.max(b[j].0);
        let hi = a[i].1.min(b[j].1);
        if lo <= hi {
            out.push((lo, hi));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

fn subtract(a: &[(u64, u64)], b: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for &(start, end) in a {
        let mut lo = start;
        for &(bs, be) in b.iter().filter(|&&(bs, be)| be >= start && bs <= end) {
            if bs > lo {
                out.push((lo, bs - 1));
            }
            lo = lo.max(be.saturating_add(1));
            if lo > end {
                break;
            }
        }
        if lo <= end {
            out.push((lo, end));
        }
    }
    out
}

fn parse_uuid(text: &str) -> Result<String, GtidParseError> {
    let lower = text.to_ascii_lowercase();
    let hex: String = lower.chars().filter(|c| *c != '-').collect();
    let layout_ok = lower.len() == 36
        && lower
            .char_indices()
            .all(|(i, c)| matches!(i, 8 | 13 | 18 | 23) == (c == '-'));
    if layout_ok && hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(lower)
    } else {
        Err(GtidParseError::Uuid(text.to_string()))
    }
}

fn parse_tag(text: &str) -> Result<String, GtidParseError> {
    let lower = text.to_ascii_lowercase();
    let mut chars = lower.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok && lower.len() <= 32 {
        Ok(lower)
    } else {
        Err(GtidParseError::Tag(text.to_string()))
    }
}

fn parse_gno(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u64>()
        .ok()
        .filter(|n| (1..=MAX_GNO).contains(n))
}

fn parse_interval(text: &str) -> Result<(u64, u64), GtidParseError> {
    let bad = || GtidParseError::Interval(text.to_string());
    let (a, b) = match text.split_once('-') {
        Some((a, b)) => (parse_gno(a).ok_or_else(bad)?, parse_gno(b).ok_or_else(bad)?),
        None => {
            let n = parse_gno(text).ok_or_else(bad)?;
            (n, n)
        }
    };
    if a <= b { Ok((a, b)) } else { Err(bad()) }
}

impl FromStr for GtidSet {
    type Err = GtidParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let mut set = GtidSet::new();
        for entry in compact.split(',').filter(|e| !e.is_empty()) {
            let mut parts = entry.split(':');
            let uuid = parse_uuid(parts.next().unwrap_or_default())?;
            let mut tag = String::new();
            let mut any = false;
            for part in parts {
                if part.starts_with(|c: char| c.is_ascii_digit()) {
                    let (a, b) = parse_interval(part)?;
                    set.insert_interval(
                        Source {
                            uuid: uuid.clone(),
                            tag: tag.clone(),
                        },
                        a,
                        b,
                    );
                    any = true;
                } else {
                    tag = parse_tag(part)?;
                }
            }
            if !any {
                return Err(GtidParseError::Empty(entry.to_string()));
            }
        }
        Ok(set)
    }
}

impl fmt::Display for GtidSet {
    /// MySQL's order: by UUID, untagged intervals first, then each tag with its intervals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut last_uuid: Option<&str> = None;
        for (source, intervals) in &self.sources {
            match last_uuid {
                Some(uuid) if uuid == source.uuid => {}
                Some(_) => write!(f, ",{}", source.uuid)?,
                None => write!(f, "{}", source.uuid)?,
            }
            last_uuid = Some(&source.uuid);
            if !source.tag.is_empty() {
                write!(f, ":{}", source.tag)?;
            }
            for &(a, b) in intervals {
                if a == b {
                    write!(f, ":{a}")?;
                } else {
                    write!(f, ":{a}-{b}")?;
                }
            }
        }
        Ok(())
    }
}

impl Serialize for GtidSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl schemars::JsonSchema for GtidSet {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "GtidSet".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A GTID set in MySQL's text form (uuid:1-5:7,uuid2[:tag]:1-3); \
                            empty for the empty set.",
            "examples": ["3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7"]
        })
    }
}

impl<'de> Deserialize<'de> for GtidSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    const A: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    const B: &str = "9854d4a2-5d7f-11ee-b8ec-0ec88c43c251";

    fn set(text: &str) -> GtidSet {
        text.parse().unwrap()
    }

    #[test]
    fn parses_mysql_output_with_newlines_and_uppercase() {
        let text = format!("{}:1-5:7,\n{B}:1-3", A.to_uppercase());
        let parsed = set(&text);
        assert_eq!(parsed.to_string(), format!("{A}:1-5:7,{B}:1-3"));
        assert_eq!(parsed.count(), 9);
    }

    #[test]
    fn the_empty_string_is_the_empty_set() {
        assert!(set("").is_empty());
        assert!(set(" \n").is_empty());
        assert_eq!(GtidSet::new().to_string(), "");
    }

    #[test]
    fn merges_adjacent_and_overlapping_intervals() {
        assert_eq!(
            set(&format!("{A}:1-3:4-6:5-9:11")).to_string(),
            format!("{A}:1-9:11")
        );
        assert_eq!(set(&format!("{A}:1,{A}:2")).to_string(), format!("{A}:1-2"));
    }

    #[test]
    fn parses_and_prints_tagged_gtids_of_mysql_8_4() {
        let parsed = set(&format!("{A}:1-5:Audit:1-2:4,{A}:batch:9"));
        assert_eq!(parsed.to_string(), format!("{A}:1-5:audit:1-2:4:batch:9"));
        let audit = Source {
            uuid: A.into(),
            tag: "audit".into(),
        };
        assert!(parsed.contains(&audit, 4));
        assert!(!parsed.contains(&audit, 5));
        assert_eq!(set(&parsed.to_string()), parsed);
    }

    #[test]
    fn rejects_malformed_text_with_a_reason() {
        for bad in [
            "not-a-uuid:1",
            A,
            &format!("{A}:0"),
            &format!("{A}:5-3"),
            &format!("{A}:1-"),
            &format!("{A}:9tag:1"),
            &format!("{A}:-1"),
            &format!("{A}:99999999999999999999"),
        ] {
            assert!(bad.parse::<GtidSet>().is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn set_operations_match_mysql_examples() {
        let executed = set(&format!("{A}:1-10,{B}:1-3"));
        let joiner = set(&format!("{A}:1-4"));
        assert!(joiner.is_subset(&executed));
        assert_eq!(
            executed.difference(&joiner).to_string(),
            format!("{A}:5-10,{B}:1-3")
        );
        let errant = set(&format!("{A}:1-4,{B}:7"));
        assert!(!errant.is_subset(&executed));
        assert_eq!(errant.difference(&executed).to_string(), format!("{B}:7"));
        assert_eq!(
            executed
                .intersection(&set(&format!("{A}:8-20")))
                .to_string(),
            format!("{A}:8-10")
        );
    }

    /// A naive model: the set of (source index, gno) pairs over a small universe.
    type Naive = BTreeSet<(u8, u8, u64)>;

    fn uuid_of(i: u8) -> &'static str {
        [A, B][usize::from(i % 2)]
    }

    fn tag_of(i: u8) -> &'static str {
        ["", "t1"][usize::from(i % 2)]
    }

    fn build(naive: &Naive) -> GtidSet {
        let mut out = GtidSet::new();
        for &(u, t, g) in naive {
            out.insert_interval(
                Source {
                    uuid: uuid_of(u).into(),
                    tag: tag_of(t).into(),
                },
                g,
                g,
            );
        }
        out
    }

    fn naive_set() -> impl Strategy<Value = Naive> {
        proptest::collection::btree_set((0u8..2, 0u8..2, 1u64..40), 0..30)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn operations_agree_with_a_naive_set_model(a in naive_set(), b in naive_set()) {
            let (x, y) = (build(&a), build(&b));
            prop_assert_eq!(x.union(&y), build(&a.union(&b).copied().collect()));
            prop_assert_eq!(x.intersection(&y), build(&a.intersection(&b).copied().collect()));
            prop_assert_eq!(x.difference(&y), build(&a.difference(&b).copied().collect()));
            prop_assert_eq!(x.is_subset(&y), a.is_subset(&b));
            prop_assert_eq!(x.intersects(&y), !a.is_disjoint(&b));
            prop_assert_eq!(x.count(), a.len() as u64);
            prop_assert_eq!(x == y, a == b);
        }

        #[test]
        fn printing_then_parsing_gives_the_same_set(a in naive_set()) {
            let x = build(&a);
            prop_assert_eq!(x.to_string().parse::<GtidSet>().unwrap(), x);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(text in "\\PC{0,80}") {
            let _ = text.parse::<GtidSet>();
        }
    }
}
