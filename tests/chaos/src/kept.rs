//! Seeds kept in the repository, one a line: `seed keep note`, where `keep` is `all`, `none` or
//! the fault numbers to keep (`2,5`), as the replay command takes them. `regressions.txt` holds
//! the failures found and fixed (run in CI, they must pass).

use std::path::{Path, PathBuf};

use crate::schedule::Schedule;
use crate::shrink::replayed;

/// One kept seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// The seed.
    pub seed: u64,
    /// The faults kept (`None`: all of them).
    pub keep: Option<Vec<usize>>,
    /// What it found, and where it was fixed.
    pub note: String,
}

impl Kept {
    /// The schedule it replays.
    pub fn schedule(&self) -> Schedule {
        replayed(self.seed, self.keep.as_deref())
    }
}

/// Reads kept seeds from `text`; `#` starts a comment line.
pub fn parse(text: &str) -> Result<Vec<Kept>, String> {
    text.lines()
        .enumerate()
        .map(|(n, line)| (n + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(n, line)| {
            let (seed, rest) = token(line);
            let seed = seed
                .parse()
                .map_err(|_| format!("line {n}: no seed in {line:?}"))?;
            let (keep, note) = token(rest);
            let keep = match keep {
                "all" => None,
                "none" => Some(Vec::new()),
                "" => return Err(format!("line {n}: no fault list in {line:?}")),
                list => Some(
                    list.split(',')
                        .map(str::parse)
                        .collect::<Result<Vec<usize>, _>>()
                        .map_err(|e| format!("line {n}: keep {list:?}: {e}"))?,
                ),
            };
            Ok(Kept {
                seed,
                keep,
                note: note.trim().to_owned(),
            })
        })
        .collect()
}

/// The first whitespace-separated word of `text`, and the rest.
fn token(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    text.split_once(char::is_whitespace).unwrap_or((text, ""))
}

/// The kept-seeds file `name` of this crate.
pub fn path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// Reads the kept-seeds file `name` of this crate.
pub fn read(name: &str) -> Result<Vec<Kept>, String> {
    let path = path(name);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_seed_names_its_faults_or_all_of_them_and_says_what_it_found() {
        let kept =
            parse("# comment\n\n54   0,2  two reboots in one tick\n7 all\n8 none x\n").unwrap();
        assert_eq!(
            kept,
            [
                Kept {
                    seed: 54,
                    keep: Some(vec![0, 2]),
                    note: "two reboots in one tick".into()
                },
                Kept {
                    seed: 7,
                    keep: None,
                    note: String::new()
                },
                Kept {
                    seed: 8,
                    keep: Some(Vec::new()),
                    note: "x".into()
                },
            ]
        );
        assert!(parse("x 1").unwrap_err().contains("line 1"));
        assert!(parse("1 a,b note").unwrap_err().contains("keep"));
    }
}
