//! Who runs the command: `$USER@host`, recorded as the `by` of pauses and approvals and in the
//! owner of the lease a CLI tick takes, so the journal says who did what; and how a tick run by
//! a person goes (`status`, `tick` and the demo run the same).

use grkeeper::keeper::TickOptions;

/// `$USER@host` (`unknown` for what cannot be found).
pub fn who() -> String {
    let user = ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "unknown".to_owned());
    format!("{}@{}", user.trim(), host())
}

/// The lease owner of a tick run from this process: unique per run, and saying who ran it.
pub fn lease_owner() -> String {
    format!("grkeeper-cli:{}:{}", who(), std::process::id())
}

/// A tick run from this process: it owns the lease as [`lease_owner`]; no deadline (the lease
/// is renewed after every action, and a person at a terminal has none); no metric lines (only
/// the functions' logs feed the alarms).
pub fn tick_options(dry_run: bool) -> TickOptions {
    TickOptions {
        owner: lease_owner(),
        dry_run,
        deadline: None,
        emit_metrics: false,
    }
}

fn host() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operator_is_a_user_at_a_host_and_the_owner_names_the_process() {
        let who = who();
        let (user, host) = who.split_once('@').unwrap_or_default();
        assert!(!user.is_empty() && !host.is_empty(), "{who}");
        assert!(lease_owner().ends_with(&format!(":{}", std::process::id())));
    }

    #[test]
    fn a_person_s_tick_owns_the_lease_with_no_deadline_and_writes_no_metrics() {
        for dry_run in [false, true] {
            let options = tick_options(dry_run);
            assert_eq!(options.owner, lease_owner());
            assert_eq!(options.dry_run, dry_run);
            assert!(options.deadline.is_none() && !options.emit_metrics);
        }
    }
}
