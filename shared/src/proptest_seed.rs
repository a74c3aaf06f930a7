//! Property-test settings every module's property tests share: cases drawn from a fixed seed, so
//! a run checks the same cases each time, or from `PROPTEST_RNG_SEED` when it is set
//! (`scripts/test` runs the planner's properties once more with a fresh seed it prints). The
//! seed is printed either way, so a failure names what reproduces it.

use proptest::test_runner::{Config, RngSeed};

/// The seed property tests use unless `PROPTEST_RNG_SEED` names another.
const FIXED_SEED: u64 = 0x6b65_6570_6572;

/// `cases` cases from the fixed seed or `PROPTEST_RNG_SEED`, printed.
pub fn config(cases: u32) -> Config {
    let mut config = Config::with_cases(cases);
    if config.rng_seed == RngSeed::Random {
        config.rng_seed = RngSeed::Fixed(FIXED_SEED);
    }
    eprintln!("property test seed: PROPTEST_RNG_SEED={}", config.rng_seed);
    config
}
