//! Property-test settings every module's property tests share: cases drawn from a fixed seed, so
//! a run checks the same cases each time, or from `PROPTEST_RNG_SEED` when it is set
//! (`scripts/test` runs the planner's properties once more with a fresh seed it prints). The
//! seed is printed either way, so a failure names what reproduces it. `PROPTEST_CASES`, when set,
//! replaces each test's number of cases (proptest's own meaning of it): `scripts/mutants` sets a
//! small one, since a mutant it lets through is tested again with the full counts.

use proptest::test_runner::{Config, RngSeed};

/// The seed property tests use unless `PROPTEST_RNG_SEED` names another.
const FIXED_SEED: u64 = 0x6b65_6570_6572;

/// `cases` cases (or `PROPTEST_CASES`) from the fixed seed or `PROPTEST_RNG_SEED`, printed.
pub fn config(cases: u32) -> Config {
    // Config::default() reads PROPTEST_CASES (and proptest's other variables).
    let mut config = if std::env::var_os("PROPTEST_CASES").is_some() {
        Config::default()
    } else {
        Config::with_cases(cases)
    };
    if config.rng_seed == RngSeed::Random {
        config.rng_seed = RngSeed::Fixed(FIXED_SEED);
    }
    eprintln!(
        "property test seed: PROPTEST_RNG_SEED={} ({} cases)",
        config.rng_seed, config.cases
    );
    config
}
