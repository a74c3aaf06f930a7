//! Copies of an inventory member running somewhere else: a view row under an inventory
//! instance's `server_uuid` whose host or port is not that instance's. A snapshot restored into
//! an instance outside the inventory keeps the original's `server_uuid`, and once the group takes
//! it in (while the original is out) every view lists the copy under the original's id: matched
//! by `server_uuid` alone, the original would look `ONLINE` however it really is.
//!
//! An instance's address is what it reported itself (its own view row's `MEMBER_HOST` and
//! `MEMBER_PORT`, `@@hostname`), read now or kept in the journal's memory, and its RDS endpoint.
//! A mismatch is judged only when the instance's own view row was read at least once: on RDS
//! `MEMBER_HOST` is the host's internal name, not the endpoint, and `report_host` may rename it,
//! so without that row grkeeper cannot tell a copy from a name it has never seen. Host names are
//! compared without case and a short name matches its fully qualified form: a name's form
//! alone never makes a copy.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Address, ViewMember};

use super::picture::Node;

/// A view row that is a copy of the inventory instance `node` running at another address.
#[derive(Debug)]
pub(crate) struct Copy<'a> {
    /// Inventory index of the instance whose `server_uuid` the copy has.
    pub node: usize,
    /// The row listing the copy (its host, port and state).
    pub row: &'a ViewMember,
    /// The instance whose view lists it.
    pub viewer: &'a str,
}

/// Every copy the read views list, once per instance and address. `known` maps each known
/// `server_uuid` to its instance; instances in `duplicates` (two inventory instances with one
/// `server_uuid`) are told of as such and left out here.
pub(crate) fn find<'a>(
    nodes: &[Node<'a>],
    known: &BTreeMap<String, usize>,
    duplicates: &BTreeSet<usize>,
) -> Vec<Copy<'a>> {
    let mut copies: Vec<Copy<'a>> = Vec::new();
    for viewer in nodes {
        let Some(report) = viewer.report else {
            continue;
        };
        for row in &report.view {
            let Some(&index) = known.get(&row.member_id.to_ascii_lowercase()) else {
                continue;
            };
            let node = &nodes[index];
            let seen = copies
                .iter()
                .any(|c| c.node == index && same_host(&c.row.host, &row.host));
            if index == viewer.index || duplicates.contains(&index) || seen {
                continue;
            }
            if elsewhere(node, row) {
                copies.push(Copy {
                    node: index,
                    row,
                    viewer: viewer.id,
                });
            }
        }
    }
    copies
}

/// True when `row` lists `node`'s `server_uuid` at an address that is provably not `node`'s.
fn elsewhere(node: &Node<'_>, row: &ViewMember) -> bool {
    let now = node.report.map(crate::model::MemberReport::address);
    // What it reports now, else what it reported when last read.
    let address: Option<&Address> = match &now {
        Some(a) if !a.view_host.is_empty() => Some(a),
        _ => node.last_seen.map(|l| &l.address),
    };
    let Some(address) = address.filter(|a| !a.view_host.is_empty()) else {
        return false;
    };
    if row.host.trim().is_empty() {
        return false;
    }
    let endpoint = node.rds.and_then(|r| r.endpoint.as_deref());
    let names = [
        Some(address.view_host.as_str()),
        Some(address.hostname.as_str()),
        now.as_ref().map(|a| a.hostname.as_str()),
        endpoint,
    ];
    let host_matches = names
        .into_iter()
        .flatten()
        .any(|name| same_host(name, &row.host));
    let ports = [address.port, node.rds.and_then(|r| r.port)];
    let port_differs = row.port != 0
        && address.port.is_some()
        && !ports.into_iter().flatten().any(|p| p == row.port);
    !host_matches || port_differs
}

/// Two host names for one host: equal without case (and a trailing dot), or one the short
/// form of the other (`ip-10-0-1-11` and `ip-10-0-1-11.ec2.internal`). An IP address has no
/// short form.
pub(crate) fn same_host(a: &str, b: &str) -> bool {
    let clean = |s: &str| s.trim().trim_end_matches('.').to_ascii_lowercase();
    let (a, b) = (clean(a), clean(b));
    // mutants: equivalent because with one name empty and the other not, neither is equal nor
    // the short form of the other (the empty one is all digits, vacuously; no name starts with
    // a longer one), so `&&` for `||` returns the same `false` below.
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let short_of = |short: &str, long: &str| {
        !short.contains('.')
            && !short.chars().all(|c| c.is_ascii_digit())
            && long
                .strip_prefix(short)
                .is_some_and(|rest| rest.starts_with('.'))
    };
    a == b || short_of(&a, &b) || short_of(&b, &a)
}

#[cfg(test)]
mod tests {
    use super::same_host;

    #[test]
    fn a_host_name_matches_its_other_forms_and_nothing_else() {
        assert!(same_host("ip-10-0-1-11", "IP-10-0-1-11"));
        assert!(same_host("ip-10-0-1-11", "ip-10-0-1-11.ec2.internal"));
        assert!(same_host("ip-10-0-1-11.ec2.internal.", "ip-10-0-1-11"));
        assert!(!same_host("ip-10-0-1-11", "ip-10-0-1-12"));
        assert!(!same_host("ip-10-0-1-1", "ip-10-0-1-11.ec2.internal"));
        assert!(!same_host("10", "10.0.1.11"));
        assert!(!same_host("10.0.1.1", "10.0.1.11"));
        assert!(!same_host("", ""));
        assert!(!same_host("a.example", "a.example.org"));
    }
}
