//! The simulator's ground truth, which the demo's verdict rests on (not on what grkeeper says):
//! healthy means every member up and ONLINE in the one group that has a majority, no second
//! group able to commit, and every transaction committed during the demo in that group.

use gr_sim::{GtidSet, Truth};

/// Every member ONLINE in one majority group with the same transactions, no split brain.
pub fn healthy(truth: &Truth) -> bool {
    truth.converged() && !truth.split_brain()
}

/// The verdict on the final truth: what is healthy about it, or what is wrong with it.
pub fn verdict(truth: &Truth, committed: &GtidSet) -> Result<String, String> {
    if !healthy(truth) {
        return Err(format!("the cluster is not healthy: {}", truth.summary()));
    }
    let [group] = truth.majority_groups()[..] else {
        return Err(format!("not exactly one group: {}", truth.summary()));
    };
    let held: GtidSet = group
        .gtid_executed
        .parse()
        .map_err(|e| format!("the group's GTID set does not parse: {e}"))?;
    let lost = committed.subtract(&held);
    if !lost.is_empty() {
        return Err(format!(
            "transactions committed during the demo are missing from the group: {lost}"
        ));
    }
    Ok(format!(
        "every member ONLINE in one group with quorum ({}), no split brain, and all {} \
         transactions committed during the demo are in it",
        group.online.join(", "),
        committed.count()
    ))
}

/// Transactions `member` has executed (0 when unknown).
pub fn transactions(truth: &Truth, member: &str) -> u64 {
    truth
        .member(member)
        .and_then(|m| m.gtid_executed.parse::<GtidSet>().ok())
        .map_or(0, |set| set.count())
}

#[cfg(test)]
mod tests {
    use gr_sim::{Cluster, SimConfig};

    use super::*;

    #[tokio::test]
    async fn a_stopped_member_is_not_healthy_and_the_verdict_says_which() {
        let sim = Cluster::start(SimConfig::new(["orders-1", "orders-2", "orders-3"]))
            .await
            .unwrap();
        let before = transactions(&sim.truth(), "orders-3");
        let committed: GtidSet = sim
            .commit("orders-1", 3)
            .unwrap()
            .join(",")
            .parse()
            .unwrap();
        let verdict = verdict(&sim.truth(), &committed).unwrap();
        assert!(
            verdict.contains("(orders-1, orders-2, orders-3)"),
            "{verdict}"
        );
        assert!(verdict.contains("all 3 transactions"), "{verdict}");

        sim.crash("orders-2").unwrap();
        let wrong = super::verdict(&sim.truth(), &committed).unwrap_err();
        assert!(wrong.contains("orders-2 DOWN"), "{wrong}");
        assert_eq!(transactions(&sim.truth(), "orders-3"), before + 3);
    }
}
