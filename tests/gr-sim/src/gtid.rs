//! GTID sets as MySQL prints them (`uuid:1-5:7,\nuuid2:1-3`): parse, union, subtract, subset.
//!
//! Written here rather than shared with grkeeper so the simulator and grkeeper check each other.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// A set of GTIDs: for each source UUID (lower case), sorted, disjoint, non-adjacent intervals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GtidSet {
    sets: BTreeMap<String, Vec<(u64, u64)>>,
}

/// Why a GTID set text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed GTID set specification '{0}'")]
pub struct GtidParseError(pub String);

impl GtidSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when the set holds no transaction.
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }

    /// Number of transactions in the set.
    pub fn count(&self) -> u64 {
        self.sets
            .values()
            .flat_map(|ranges| ranges.iter().map(|(a, b)| b - a + 1))
            .sum()
    }

    /// Adds `uuid:start-end` (inclusive).
    pub fn add_range(&mut self, uuid: &str, start: u64, end: u64) {
        if start == 0 || end < start {
            return;
        }
        let ranges = self.sets.entry(uuid.to_ascii_lowercase()).or_default();
        ranges.push((start, end));
        normalize(ranges);
    }

    /// Adds one transaction `uuid:gno`.
    pub fn add(&mut self, uuid: &str, gno: u64) {
        self.add_range(uuid, gno, gno);
    }

    /// True when `uuid:gno` is in the set.
    pub fn contains(&self, uuid: &str, gno: u64) -> bool {
        self.sets
            .get(&uuid.to_ascii_lowercase())
            .is_some_and(|ranges| ranges.iter().any(|&(a, b)| a <= gno && gno <= b))
    }

    /// Highest transaction number recorded for `uuid` (0 when none).
    pub fn last_gno(&self, uuid: &str) -> u64 {
        self.sets
            .get(&uuid.to_ascii_lowercase())
            .and_then(|ranges| ranges.last())
            .map_or(0, |&(_, b)| b)
    }

    /// The transactions under `uuid` only.
    pub fn of_uuid(&self, uuid: &str) -> GtidSet {
        let mut out = GtidSet::new();
        if let Some(ranges) = self.sets.get(&uuid.to_ascii_lowercase()) {
            out.sets.insert(uuid.to_ascii_lowercase(), ranges.clone());
        }
        out
    }

    /// Adds every transaction of `other`.
    pub fn union_with(&mut self, other: &GtidSet) {
        for (uuid, ranges) in &other.sets {
            let mine = self.sets.entry(uuid.clone()).or_default();
            mine.extend(ranges.iter().copied());
            normalize(mine);
        }
    }

    /// The transactions of `self` that are not in `other` (MySQL's `GTID_SUBTRACT`).
    pub fn subtract(&self, other: &GtidSet) -> GtidSet {
        let mut out = GtidSet::new();
        for (uuid, ranges) in &self.sets {
            let holes = other.sets.get(uuid).map(Vec::as_slice).unwrap_or(&[]);
            let kept: Vec<(u64, u64)> =
                ranges.iter().flat_map(|&range| cut(range, holes)).collect();
            if !kept.is_empty() {
                out.sets.insert(uuid.clone(), kept);
            }
        }
        out
    }

    /// True when every transaction of `self` is in `other` (MySQL's `GTID_SUBSET`).
    pub fn is_subset_of(&self, other: &GtidSet) -> bool {
        self.subtract(other).is_empty()
    }

    /// True when the two sets share a transaction.
    pub fn intersects(&self, other: &GtidSet) -> bool {
        self.subtract(other) != *self
    }

    /// The transactions in both sets.
    pub fn intersection(&self, other: &GtidSet) -> GtidSet {
        self.subtract(&self.subtract(other))
    }

    /// The intervals of `uuid`, in order (inclusive bounds).
    pub fn ranges(&self, uuid: &str) -> Vec<(u64, u64)> {
        self.sets
            .get(&uuid.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default()
    }
}

/// Sorts and merges overlapping or adjacent intervals.
fn normalize(ranges: &mut Vec<(u64, u64)>) {
    ranges.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for &(a, b) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    *ranges = merged;
}

/// The parts of `range` not covered by the sorted, disjoint `holes`.
fn cut((mut a, b): (u64, u64), holes: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for &(ha, hb) in holes {
        if hb < a || ha > b {
            continue;
        }
        if ha > a {
            out.push((a, ha - 1));
        }
        if hb >= b {
            return out;
        }
        a = hb + 1;
    }
    out.push((a, b));
    out
}

impl fmt::Display for GtidSet {
    /// MySQL's text form: UUIDs sorted, separated by ",\n" exactly as `@@gtid_executed` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (uuid, ranges)) in self.sets.iter().enumerate() {
            if i > 0 {
                f.write_str(",\n")?;
            }
            f.write_str(uuid)?;
            for &(a, b) in ranges {
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

impl FromStr for GtidSet {
    type Err = GtidParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || GtidParseError(text.to_string());
        let mut set = GtidSet::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut fields = part.split(':').map(str::trim);
            let uuid = fields.next().filter(|u| is_uuid(u)).ok_or_else(bad)?;
            let mut any = false;
            for interval in fields {
                let (a, b) = match interval.split_once('-') {
                    Some((a, b)) => (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?),
                    None => {
                        let n = interval.parse().map_err(|_| bad())?;
                        (n, n)
                    }
                };
                if a == 0 || b < a {
                    return Err(bad());
                }
                set.add_range(uuid, a, b);
                any = true;
            }
            if !any {
                return Err(bad());
            }
        }
        Ok(set)
    }
}

/// True for the 8-4-4-4-12 hex form MySQL uses for `server_uuid` and group names.
pub fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    const B: &str = "8a94f357-aab4-11df-86ab-c80aa9429563";

    #[test]
    fn text_round_trips_in_mysql_form_with_sorted_uuids_and_comma_newline() {
        let text = format!("{B}:1-3, {A}:1-5:7:9-10");
        let set: GtidSet = text.parse().unwrap();
        assert_eq!(set.to_string(), format!("{A}:1-5:7:9-10,\n{B}:1-3"));
        assert_eq!(set.count(), 11);
    }

    #[test]
    fn adjacent_ranges_merge() {
        let mut set = GtidSet::new();
        set.add_range(A, 1, 3);
        set.add(A, 4);
        set.add_range(A, 6, 8);
        set.add(A, 5);
        assert_eq!(set.to_string(), format!("{A}:1-8"));
    }

    #[test]
    fn subtract_cuts_holes_and_subset_follows() {
        let big: GtidSet = format!("{A}:1-10,{B}:1-2").parse().unwrap();
        let small: GtidSet = format!("{A}:3-4:8").parse().unwrap();
        assert_eq!(
            big.subtract(&small).to_string(),
            format!("{A}:1-2:5-7:9-10,\n{B}:1-2")
        );
        assert!(small.is_subset_of(&big));
        assert!(!big.is_subset_of(&small));
        assert!(big.intersects(&small));
        assert_eq!(big.intersection(&small), small);
    }

    #[test]
    fn malformed_text_is_refused() {
        assert!("nonsense:1".parse::<GtidSet>().is_err());
        assert!(format!("{A}:0-2").parse::<GtidSet>().is_err());
        assert!(A.parse::<GtidSet>().is_err());
        assert!("".parse::<GtidSet>().unwrap().is_empty());
    }
}
