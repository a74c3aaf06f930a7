//! Every invariant over thousands of random snapshots from each generator: one test per kind of
//! cluster, so each unsafe class comes up in most of its cases. Counterexamples found so far are
//! kept in `proptest-regressions/plan/tests/properties.txt` (replayed first) and, as snapshots
//! spelled out, in `regressions`.

use proptest::prelude::*;

use super::config;
use super::generate::{
    after_split_brain, counted_exited, joiners, lagging, local_gtids, outage, recovering, rolls,
    scenario, second_group, stopped,
};
use super::invariants::check_all;

proptest! {
    #![proptest_config(config(4000))]

    #[test]
    fn random_clusters_keep_every_invariant(snapshot in scenario()) {
        check_all(&snapshot)?;
    }

    #[test]
    fn complete_outages_keep_every_invariant(snapshot in outage()) {
        check_all(&snapshot)?;
    }

    #[test]
    fn members_the_group_still_counts_keep_every_invariant(snapshot in counted_exited()) {
        check_all(&snapshot)?;
    }
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn second_groups_keep_every_invariant(snapshot in second_group()) {
        check_all(&snapshot)?;
    }

    #[test]
    fn rolling_maintenance_keeps_every_invariant(snapshot in rolls()) {
        check_all(&snapshot)?;
    }

    #[test]
    fn recovering_members_keep_every_invariant(snapshot in recovering()) {
        check_all(&snapshot)?;
    }

    #[test]
    fn lagging_members_keep_every_invariant(snapshot in lagging()) {
        check_all(&snapshot)?;
    }

    #[test]
    fn stopped_members_keep_every_invariant(snapshot in stopped()) {
        check_all(&snapshot)?;
    }

    #[test]
    fn new_9_7_members_with_local_gtids_keep_every_invariant(snapshot in local_gtids()) {
        check_all(&snapshot)?;
    }

    #[test]
    fn joiners_of_every_version_keep_every_invariant(snapshot in joiners()) {
        check_all(&snapshot)?;
    }

    #[test]
    fn members_of_groups_seen_apart_keep_every_invariant(snapshot in after_split_brain()) {
        check_all(&snapshot)?;
    }
}
