//! GTID sets: parse and print MySQL's text form, and the set arithmetic the planner needs
//! (union, intersection, difference, subset) as interval arithmetic.
//!
//! Text form, as `@@gtid_executed` prints it: `uuid:1-5:7,\nuuid2:1-3`; MySQL 8.4 adds tags,
//! which apply to the intervals after them: `uuid:1-5:audit:1-2` (tags are case-insensitive).
//! The empty string is the empty set. Whitespace may surround the separators, never split a
//! UUID, tag or number. The parser is stricter than MySQL's (which reads `010` as octal and
//! skips reversed intervals): anything MySQL would not print is refused with the reason.
//!
//! Long-lived multi-primary groups accumulate sets of many thousands of intervals, and a tick
//! parses and compares nine of them, so every operation is linear in the intervals (parsing
//! sorts once, O(n log n)): sets are merged by sweeping their sorted intervals side by side.

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

/// Inclusive intervals of transaction numbers in `1..=MAX_GNO`.
type Intervals = Vec<(u64, u64)>;

/// A set of GTIDs. Intervals are inclusive, sorted, non-overlapping and never adjacent, and no
/// source has none, so two equal sets always have equal representations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct GtidSet {
    sources: BTreeMap<Source, Intervals>,
}

/// Why a GTID set text did not parse. Each names the offending piece (cut at 64 characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GtidParseError {
    /// The UUID part is not 32 hex digits in the 8-4-4-4-12 layout.
    #[error("{0:?} in a GTID set is not a UUID (32 hex digits grouped 8-4-4-4-12)")]
    Uuid(String),
    /// A tag is not 1-32 characters of `[a-z0-9_]` starting with a letter or `_`.
    #[error("{0:?} in a GTID set is not a tag (a letter or _, then up to 31 letters, digits or _)")]
    Tag(String),
    /// An interval is not `n` or `a-b`.
    #[error("{0:?} in a GTID set is not an interval (n or a-b)")]
    Interval(String),
    /// A transaction number is not plain decimal digits in `1..=MAX_GNO`.
    #[error(
        "{0:?} in a GTID set is not a transaction number (decimal digits without sign or \
         leading zero, 1 to {MAX_GNO})"
    )]
    Number(String),
    /// An interval `a-b` with `a > b`.
    #[error("interval {0:?} in a GTID set ends before it starts")]
    Reversed(String),
    /// A UUID or tag with no interval after it (`uuid`, `uuid:tag`, `uuid:1:tag`).
    #[error("{0:?} in a GTID set has no transaction numbers after it")]
    Empty(String),
}

impl GtidParseError {
    /// A short, stable name for log fields and metric dimensions.
    pub fn kind(&self) -> &'static str {
        match self {
            GtidParseError::Uuid(_) => "uuid",
            GtidParseError::Tag(_) => "tag",
            GtidParseError::Interval(_) => "interval",
            GtidParseError::Number(_) => "number",
            GtidParseError::Reversed(_) => "reversed",
            GtidParseError::Empty(_) => "empty",
        }
    }
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

    /// Adds the interval `start..=end` of `source`; numbers outside `1..=MAX_GNO` name no
    /// transaction and are left out. Appending in order is O(log n); inserting before the last
    /// interval moves the ones after it, so build large sets by parsing instead.
    pub fn insert_interval(&mut self, source: Source, start: u64, end: u64) {
        let (start, end) = (start.max(1), end.min(MAX_GNO));
        if start > end {
            return;
        }
        let intervals = self.sources.entry(source).or_default();
        // The intervals that overlap or touch start..=end are merged with it into one.
        let first = intervals.partition_point(|&(_, b)| b + 1 < start);
        let after = intervals.partition_point(|&(a, _)| a <= end + 1);
        let merged = match intervals.get(first..after) {
            Some([(a, _), .., (_, b)]) | Some([(a, b)]) => (start.min(*a), end.max(*b)),
            _ => (start, end),
        };
        intervals.splice(first..after, [merged]);
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
        self.sources.get(source).is_some_and(|intervals| {
            let i = intervals.partition_point(|&(_, b)| b < gno);
            intervals.get(i).is_some_and(|&(a, _)| a <= gno)
        })
    }

    /// Every GTID of either set.
    pub fn union(&self, other: &GtidSet) -> GtidSet {
        let mut out = self.clone();
        for (source, theirs) in &other.sources {
            let merged = match out.sources.get(source) {
                Some(mine) => union(mine, theirs),
                None => theirs.clone(),
            };
            out.sources.insert(source.clone(), merged);
        }
        out
    }

    /// The GTIDs in both sets.
    pub fn intersection(&self, other: &GtidSet) -> GtidSet {
        self.combine(other, |mine, theirs| {
            theirs.map_or_else(Vec::new, |theirs| common(mine, theirs).collect())
        })
    }

    /// The GTIDs of `self` that are not in `other` (MySQL's `GTID_SUBTRACT(self, other)`).
    pub fn difference(&self, other: &GtidSet) -> GtidSet {
        self.combine(other, |mine, theirs| {
            theirs.map_or_else(|| mine.clone(), |theirs| subtract(mine, theirs))
        })
    }

    /// MySQL's `GTID_SUBSET(self, other)`.
    pub fn is_subset(&self, other: &GtidSet) -> bool {
        self.sources.iter().all(|(source, mine)| {
            other
                .sources
                .get(source)
                .is_some_and(|theirs| covers(theirs, mine))
        })
    }

    /// The GTIDs of one source (UUID and tag) only.
    pub fn of_source(&self, source: &Source) -> GtidSet {
        let mut sources = BTreeMap::new();
        if let Some(intervals) = self.sources.get(source) {
            sources.insert(source.clone(), intervals.clone());
        }
        GtidSet { sources }
    }

    /// Every interval, `(source, first, last)`, in MySQL's order.
    pub fn intervals(&self) -> impl Iterator<Item = (&Source, u64, u64)> {
        self.sources
            .iter()
            .flat_map(|(source, intervals)| intervals.iter().map(move |&(a, b)| (source, a, b)))
    }

    /// True when the two sets share at least one GTID.
    pub fn intersects(&self, other: &GtidSet) -> bool {
        self.sources.iter().any(|(source, mine)| {
            other
                .sources
                .get(source)
                .is_some_and(|theirs| common(mine, theirs).next().is_some())
        })
    }

    /// Each of `self`'s sources with `op(its intervals, other's for the source)`, empty results
    /// left out.
    fn combine(
        &self,
        other: &GtidSet,
        op: impl Fn(&Intervals, Option<&Intervals>) -> Intervals,
    ) -> GtidSet {
        let sources = self
            .sources
            .iter()
            .map(|(source, mine)| (source, op(mine, other.sources.get(source))))
            .filter(|(_, out)| !out.is_empty())
            .map(|(source, out)| (source.clone(), out))
            .collect();
        GtidSet { sources }
    }
}

/// Appends `next`, which starts no earlier than the last interval, merging the two when they
/// overlap or touch.
fn push_merged(out: &mut Intervals, next: (u64, u64)) {
    match out.last_mut() {
        Some(last) if next.0 <= last.1 + 1 => last.1 = last.1.max(next.1),
        _ => out.push(next),
    }
}

/// Sorts and merges: O(n log n), O(n) when already sorted (pattern-defeating quicksort).
fn normalize(intervals: &mut Intervals) {
    let mut sorted = std::mem::take(intervals);
    sorted.sort_unstable();
    intervals.reserve(sorted.len());
    for next in sorted {
        push_merged(intervals, next);
    }
}

fn union(mut a: &[(u64, u64)], mut b: &[(u64, u64)]) -> Intervals {
    let mut out = Vec::with_capacity(a.len() + b.len());
    // Both lists in order of start. mutants: equivalent because `<=` only changes which of two
    // intervals starting at the same number comes first, and `push_merged` gives the same
    // either way.
    loop {
        let next = match (a.first().copied(), b.first().copied()) {
            (Some(x), Some(y)) if y.0 < x.0 => {
                b = &b[1..];
                y
            }
            (Some(x), _) => {
                a = &a[1..];
                x
            }
            (None, Some(y)) => {
                b = &b[1..];
                y
            }
            (None, None) => return out,
        };
        push_merged(&mut out, next);
    }
}

/// The intervals both lists hold, in order, found lazily so a test for any stops at the first.
fn common<'a>(
    mut a: &'a [(u64, u64)],
    mut b: &'a [(u64, u64)],
) -> impl Iterator<Item = (u64, u64)> + 'a {
    std::iter::from_fn(move || {
        while let (Some(&(a0, a1)), Some(&(b0, b1))) = (a.first(), b.first()) {
            // The one that ends first meets nothing more of the other. mutants: equivalent
            // because `<=` only changes which of two intervals ending at the same number is
            // dropped first; the other goes next, having met nothing new (the next interval of
            // either list starts after both ends).
            if a1 < b1 {
                a = &a[1..];
            } else {
                b = &b[1..];
            }
            let (lo, hi) = (a0.max(b0), a1.min(b1));
            if lo <= hi {
                return Some((lo, hi));
            }
        }
        None
    })
}

/// `b`'s intervals from the first that ends at or after `start`: the ones before it end before
/// every later interval of a sorted list starts, so a sweep drops them for good (one step at a
/// time: a sweep mostly drops none or one, where a binary search would cost log n each time).
fn from_start(mut b: &[(u64, u64)], start: u64) -> &[(u64, u64)] {
    while b.first().is_some_and(|&(_, b1)| b1 < start) {
        b = &b[1..];
    }
    b
}

fn subtract(a: &[(u64, u64)], mut b: &[(u64, u64)]) -> Intervals {
    let mut out = Vec::new();
    for &(start, end) in a {
        b = from_start(b, start);
        let mut lo = start;
        for &(b0, b1) in b.iter().take_while(|&&(b0, _)| b0 <= end) {
            if b0 > lo {
                out.push((lo, b0 - 1));
            }
            lo = b1 + 1;
        }
        if lo <= end {
            out.push((lo, end));
        }
    }
    out
}

/// True when every interval of `inner` lies within one of `outer`, which holds no adjacent
/// intervals, so no interval of `inner` can span two.
fn covers(mut outer: &[(u64, u64)], inner: &[(u64, u64)]) -> bool {
    inner.iter().all(|&(start, end)| {
        outer = from_start(outer, start);
        outer
            .first()
            .is_some_and(|&(b0, b1)| b0 <= start && end <= b1)
    })
}

/// The piece of text an error names, cut so a hostile or corrupt value cannot flood a message.
fn shown(text: &str) -> String {
    const MAX: usize = 64;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

fn trimmed(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_ascii_whitespace())
}

fn parse_uuid(text: &str) -> Result<String, GtidParseError> {
    let layout_ok = text.len() == 36
        && text.bytes().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    if layout_ok {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(GtidParseError::Uuid(shown(text)))
    }
}

fn parse_tag(text: &str) -> Result<String, GtidParseError> {
    let mut chars = text.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if first_ok && rest_ok && text.len() <= 32 {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(GtidParseError::Tag(shown(text)))
    }
}

/// Plain decimal as MySQL prints it: no sign, no leading zero (MySQL itself would read `010` as
/// octal), no whitespace, in `1..=MAX_GNO`.
fn parse_gno(text: &str) -> Result<u64, GtidParseError> {
    let plain = text.bytes().all(|b| b.is_ascii_digit()) && !text.starts_with('0');
    plain
        .then(|| text.parse::<u64>().ok())
        .flatten()
        .filter(|n| (1..=MAX_GNO).contains(n))
        .ok_or_else(|| GtidParseError::Number(shown(text)))
}

fn parse_interval(text: &str) -> Result<(u64, u64), GtidParseError> {
    let mut ends = text.split('-').map(trimmed);
    let (a, b) = match (ends.next(), ends.next(), ends.next()) {
        (Some(a), None, None) if !a.is_empty() => (a, a),
        (Some(a), Some(b), None) if !a.is_empty() && !b.is_empty() => (a, b),
        _ => return Err(GtidParseError::Interval(shown(text))),
    };
    let (a, b) = (parse_gno(a)?, parse_gno(b)?);
    if a <= b {
        Ok((a, b))
    } else {
        Err(GtidParseError::Reversed(shown(text)))
    }
}

/// Parses one `uuid[:interval...][:tag:interval...]...` entry into `sources`, unsorted.
fn parse_entry(
    entry: &str,
    sources: &mut BTreeMap<Source, Intervals>,
) -> Result<(), GtidParseError> {
    let mut pieces = entry.split(':').map(trimmed);
    let uuid = parse_uuid(pieces.next().unwrap_or_default())?;
    let mut tag = String::new();
    let mut run: Intervals = Vec::new();
    let mut tagged = false;
    // Each run of intervals is added under its tag when the next tag or the entry's end comes.
    let mut flush = |tag: &str, run: &mut Intervals| -> Result<(), GtidParseError> {
        if run.is_empty() {
            let named = if tag.is_empty() {
                uuid.clone()
            } else {
                format!("{uuid}:{tag}")
            };
            return Err(GtidParseError::Empty(shown(&named)));
        }
        let source = Source {
            uuid: uuid.clone(),
            tag: tag.to_string(),
        };
        sources.entry(source).or_default().append(run);
        Ok(())
    };
    for piece in pieces {
        if piece.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            // Untagged intervals may be absent (`uuid:tag:1`); a tag's never may.
            if tagged || !run.is_empty() {
                flush(&tag, &mut run)?;
            }
            tag = parse_tag(piece)?;
            tagged = true;
        } else {
            run.push(parse_interval(piece)?);
        }
    }
    flush(&tag, &mut run)
}

impl FromStr for GtidSet {
    type Err = GtidParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut sources = BTreeMap::new();
        // MySQL skips empty entries (`a:1,,b:2`), and so do we.
        for entry in text.split(',').map(trimmed).filter(|e| !e.is_empty()) {
            parse_entry(entry, &mut sources)?;
        }
        for intervals in sources.values_mut() {
            normalize(intervals);
        }
        Ok(GtidSet { sources })
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
mod tests;
