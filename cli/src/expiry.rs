//! `--for DURATION`: how long a pause or an approval lasts (`30m`, `2h`, `1h30m`, `1d`), and the
//! instant it ends. Pauses and approvals always expire, so a forgotten one cannot silence
//! grkeeper for good; the longest accepted is [`LONGEST`].

use chrono::{DateTime, TimeDelta, Utc};

use crate::Failure;

/// The longest pause or approval: long enough for any maintenance window, short enough that a
/// forgotten pause ends by itself.
const LONGEST: TimeDelta = TimeDelta::days(30);

/// Seconds per unit letter.
const UNITS: [(char, i64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

/// Parses `text` as whole numbers each followed by a unit (`d`, `h`, `m`, `s`), largest first.
pub fn parse(text: &str) -> Result<TimeDelta, Failure> {
    let bad = |why: &str| {
        Failure::BadInput(format!(
            "--for {text:?}: {why}; expected a duration such as 30m, 2h, 1h30m or 1d"
        ))
    };
    let mut seconds: i64 = 0;
    let mut digits = String::new();
    let mut last_unit = usize::MAX;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let Some(unit) = UNITS.iter().position(|(u, _)| *u == c.to_ascii_lowercase()) else {
            return Err(bad(&format!("{c:?} is not a unit")));
        };
        if digits.is_empty() {
            return Err(bad(&format!("no number before {c:?}")));
        }
        if last_unit != usize::MAX && unit <= last_unit {
            return Err(bad("units must go from largest to smallest, each once"));
        }
        let n: i64 = digits.parse().map_err(|_| bad("number too large"))?;
        seconds = n
            .checked_mul(UNITS[unit].1)
            .and_then(|s| s.checked_add(seconds))
            .ok_or_else(|| bad("number too large"))?;
        digits.clear();
        last_unit = unit;
    }
    if !digits.is_empty() {
        return Err(bad("a number needs a unit"));
    }
    if last_unit == usize::MAX {
        return Err(bad("empty"));
    }
    let length = TimeDelta::try_seconds(seconds).ok_or_else(|| bad("number too large"))?;
    if length <= TimeDelta::zero() {
        return Err(bad("must be longer than zero"));
    }
    if length > LONGEST {
        return Err(bad("at most 30 days"));
    }
    Ok(length)
}

/// When something starting now and lasting `text` ends.
pub fn until(text: &str) -> Result<DateTime<Utc>, Failure> {
    Ok(Utc::now() + parse(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(text: &str) -> i64 {
        match parse(text) {
            Ok(length) => length.num_seconds(),
            Err(failure) => panic!("{text}: {failure:?}"),
        }
    }

    fn refusal(text: &str) -> String {
        match parse(text) {
            Err(Failure::BadInput(message)) => message,
            other => panic!("{text}: expected bad input, got {other:?}"),
        }
    }

    #[test]
    fn durations_add_up_their_units() {
        assert_eq!(seconds("30m"), 1800);
        assert_eq!(seconds("2h"), 7200);
        assert_eq!(seconds("1h30m"), 5400);
        assert_eq!(seconds("1d"), 86_400);
        assert_eq!(seconds("90s"), 90);
        assert_eq!(seconds(" 2H "), 7200);
    }

    #[test]
    fn bad_durations_say_what_is_wrong_and_what_is_expected() {
        for (text, why) in [
            ("", "empty"),
            ("2", "a number needs a unit"),
            ("h", "no number before 'h'"),
            ("2 hours", "' ' is not a unit"),
            ("30m2h", "largest to smallest"),
            ("0m", "longer than zero"),
            ("31d", "at most 30 days"),
            ("99999999999999999999d", "too large"),
        ] {
            let message = refusal(text);
            assert!(message.contains(why), "{text}: {message}");
            assert!(message.contains("such as 30m, 2h"), "{text}: {message}");
        }
    }
}
