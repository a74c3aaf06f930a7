//! The names a trigger carries, checked against their naming rules so that nothing odd reaches a
//! log line, a journal key or an RDS API call; and RDS ARNs, from which names are derived.

use std::fmt;

use serde::Serialize;

use super::error::{TriggerError, clip};

/// What a kind of name may look like. The RDS rules are those of `CreateDBInstance`,
/// `CreateDBCluster` and `CreateDBParameterGroup`; all forbid a trailing hyphen and `--`.
#[derive(Debug)]
pub(super) struct NamingRule {
    /// What the name is, for messages.
    what: &'static str,
    max_len: usize,
    /// Characters allowed besides ASCII letters, digits and `-`.
    also: &'static [char],
    /// Whether the first character may be a digit (else it must be a letter).
    digit_first: bool,
    /// RDS stores identifiers in lower case and compares them ignoring case.
    lowercase: bool,
}

impl NamingRule {
    fn check(&self, value: &str, field: &str) -> Result<String, TriggerError> {
        let broken = |reason: String| TriggerError::InvalidIdentifier {
            what: self.what,
            value: clip(value),
            field: field.to_owned(),
            reason,
        };
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || self.also.contains(&c);
        let first = value.chars().next();
        if first.is_none() {
            return Err(broken("it is empty".into()));
        }
        if value.chars().count() > self.max_len {
            return Err(broken(format!("longer than {} characters", self.max_len)));
        }
        if let Some(c) = value.chars().find(|&c| !allowed(c)) {
            return Err(broken(format!("character {c:?} is not allowed")));
        }
        if !first
            .is_some_and(|c| c.is_ascii_alphabetic() || (self.digit_first && c.is_ascii_digit()))
        {
            let start = if self.digit_first {
                "a letter or digit"
            } else {
                "a letter"
            };
            return Err(broken(format!("must start with {start}")));
        }
        if value.ends_with('-') {
            return Err(broken("must not end with a hyphen".into()));
        }
        if value.contains("--") {
            return Err(broken("must not contain two consecutive hyphens".into()));
        }
        Ok(if self.lowercase {
            value.to_ascii_lowercase()
        } else {
            value.to_owned()
        })
    }
}

/// A checked name type: a string that passed its [`NamingRule`].
macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident = $rule:expr;) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Checks `value` read from `field` (an event's field, or a configuration variable:
            /// one rule for both, so configured names match the names events carry).
            pub(crate) fn parse(value: &str, field: &str) -> Result<Self, TriggerError> {
                const RULE: NamingRule = $rule;
                RULE.check(value, field).map(Self)
            }

            /// The name.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type! {
    /// An RDS DB instance identifier (lower case): 1-63 letters, digits or hyphens, starting with
    /// a letter.
    InstanceId = NamingRule {
        what: "instance identifier",
        max_len: 63,
        also: &[],
        digit_first: false,
        lowercase: true,
    };
}

name_type! {
    /// An RDS DB cluster identifier (Aurora or Multi-AZ DB cluster; lower case), same rules as
    /// [`InstanceId`]. Not a grkeeper cluster: GR clusters on RDS have no RDS cluster object.
    DbClusterId = NamingRule {
        what: "DB cluster identifier",
        max_len: 63,
        also: &[],
        digit_first: false,
        lowercase: true,
    };
}

name_type! {
    /// An RDS DB parameter group name (lower case): 1-255 letters, digits or hyphens, starting
    /// with a letter; dots too, because the default groups are named like `default.mysql8.0`.
    ParameterGroupName = NamingRule {
        what: "parameter group name",
        max_len: 255,
        also: &['.'],
        digit_first: false,
        lowercase: true,
    };
}

name_type! {
    /// A grkeeper cluster name (the `grkeeper:cluster` tag value; case kept): 1-63 letters,
    /// digits, `-`, `_` or `.`, starting with a letter or digit, hyphens as for RDS names.
    ClusterName = NamingRule {
        what: "cluster name",
        max_len: 63,
        also: &['_', '.'],
        digit_first: true,
        lowercase: false,
    };
}

/// The resource part of an RDS ARN, `arn:PARTITION:rds:REGION:ACCOUNT:TYPE:NAME`, as
/// `(TYPE, NAME)`; `NAME` is not checked yet. Every partition (`aws`, `aws-cn`, `aws-us-gov`,
/// the isolated ones) is accepted. The error is the reason, for [`TriggerError::InvalidArn`].
pub(super) fn rds_arn(arn: &str) -> Result<(&str, &str), String> {
    const SHAPE: &str = "expected arn:PARTITION:rds:REGION:ACCOUNT:TYPE:NAME";
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    let [prefix, partition, service, region, account, kind, name] = parts[..] else {
        return Err(SHAPE.into());
    };
    if prefix != "arn" {
        return Err(SHAPE.into());
    }
    if !is_partition(partition) {
        return Err(format!("unknown partition {:?}", clip(partition)));
    }
    if service != "rds" {
        return Err(format!("service {:?} is not rds", clip(service)));
    }
    if !is_region(region) {
        return Err(format!("malformed region {:?}", clip(region)));
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("account {:?} is not 12 digits", clip(account)));
    }
    Ok((kind, name))
}

/// `aws` or `aws-` and lower-case words joined by hyphens (`aws-cn`, `aws-us-gov`, `aws-iso-b`).
fn is_partition(text: &str) -> bool {
    text == "aws"
        || text.strip_prefix("aws-").is_some_and(|rest| {
            rest.split('-')
                .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase()))
        })
}

/// Lower-case words and numbers joined by hyphens (`us-east-1`, `us-gov-west-1`, `cn-north-1`).
fn is_region(text: &str) -> bool {
    text.split('-').all(|word| {
        !word.is_empty()
            && word
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}
