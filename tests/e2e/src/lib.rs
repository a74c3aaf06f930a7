//! Harness for grkeeper's end-to-end tests: local stand-ins for AWS, and where the pinned tools are.
//!
//! # Layout
//! - [`tools`]: the workspace root and the pinned tools `scripts/setup` installs in `.tools/`.
//! - [`moto`]: a moto server on loopback (every AWS API the tests use) and SDK configs for it.
//!
//! The tests themselves are one binary, `tests/it/main.rs`, with a module per subject.

pub mod moto;
pub mod tools;
