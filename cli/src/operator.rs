//! Who runs the command: `$USER@host`, recorded as the `by` of pauses and approvals and in the
//! owner of the lease a CLI tick takes, so the journal says who did what.

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
}
