//! The doctor's judgements, pure: facts in (grant lines, the settings a member reports, the
//! parameter groups, tags, the published configuration), one [`Check`] out each, with its fix.

use std::collections::BTreeMap;

use super::{Check, Status};
use crate::adapters::aws::rds::ParameterGroup;
use crate::adapters::mysql::AccountReport;
use crate::config::Published;
use crate::plan::Version;
use crate::ports::reboot::CLAIM_TAG;

/// What grkeeper needs, how to grant it, and how bad its absence is.
struct Need {
    privilege: &'static str,
    schema: &'static str,
    /// Table or procedure; `None`: the whole schema.
    object: Option<&'static str>,
    procedure: bool,
    missing: Status,
    why: &'static str,
    /// Only members of the 9.7 series need it (they may carry initialization GTIDs).
    initialization_gtids_only: bool,
}

const NEEDS: [Need; 6] = [
    Need {
        privilege: "SELECT",
        schema: "performance_schema",
        object: None,
        procedure: false,
        missing: Status::Fail,
        why: "grkeeper reads every member's view of the group there",
        initialization_gtids_only: false,
    },
    Need {
        privilege: "EXECUTE",
        schema: "mysql",
        object: Some("rds_group_replication_start"),
        procedure: true,
        missing: Status::Fail,
        why: "grkeeper cannot rejoin or bootstrap a member without it",
        initialization_gtids_only: false,
    },
    Need {
        privilege: "EXECUTE",
        schema: "mysql",
        object: Some("rds_group_replication_stop"),
        procedure: true,
        missing: Status::Fail,
        why: "grkeeper cannot expel a member or rejoin one left in ERROR without it",
        initialization_gtids_only: false,
    },
    Need {
        privilege: "SELECT",
        schema: "mysql",
        object: Some("rds_history"),
        procedure: false,
        missing: Status::Warn,
        why: "without it every stopped member counts as stopped by accident (a person's stop \
              is not respected)",
        initialization_gtids_only: false,
    },
    Need {
        privilege: "SELECT",
        schema: "mysql",
        object: Some("rds_configuration"),
        procedure: false,
        missing: Status::Warn,
        why: "without it grkeeper cannot warn about a short binlog retention",
        initialization_gtids_only: false,
    },
    Need {
        privilege: "EXECUTE",
        schema: "mysql",
        object: Some("rds_group_replication_advance_gtid"),
        procedure: true,
        missing: Status::Warn,
        why: "an approved sync of a new member's initialization GTIDs (grkeeper approve \
              sync-gtids) fails without it; leave it out only to keep those calls to a person",
        initialization_gtids_only: true,
    },
];

/// Whether RDS lets a master user grant EXECUTE on its own procedures has not been confirmed.
const UNCONFIRMED_EXECUTE: &str = "whether RDS lets the master user grant EXECUTE on the \
     mysql.rds_* procedures is unconfirmed: if the GRANT is refused, give grkeeper an account \
     with the master user's privileges and tell the project what RDS answered";

impl Need {
    fn target(&self) -> String {
        match (self.procedure, self.object) {
            (true, Some(name)) => format!("PROCEDURE {}.{name}", self.schema),
            (false, Some(name)) => format!("{}.{name}", self.schema),
            (_, None) => format!("{}.*", self.schema),
        }
    }

    /// Does one `SHOW GRANTS` line give it?
    fn granted_by(&self, line: &str) -> bool {
        let Some(rest) = line.trim().strip_prefix("GRANT ") else {
            return false;
        };
        let Some((privileges, rest)) = rest.split_once(" ON ") else {
            return false;
        };
        let Some((object, _)) = rest.split_once(" TO ") else {
            return false;
        };
        let has = privileges.split(',').map(str::trim).any(|p| {
            p.eq_ignore_ascii_case(self.privilege) || p.eq_ignore_ascii_case("ALL PRIVILEGES")
        });
        let object = object.replace('`', "");
        let (procedure, object) = match object.strip_prefix("PROCEDURE ") {
            Some(rest) => (true, rest.to_owned()),
            None => (false, object),
        };
        let Some((schema, name)) = object.split_once('.') else {
            return false;
        };
        let applies = match (schema, name) {
            ("*", "*") => true,
            (s, "*") => !procedure && s.eq_ignore_ascii_case(self.schema),
            (s, n) => {
                procedure == self.procedure
                    && s.eq_ignore_ascii_case(self.schema)
                    && self.object.is_some_and(|o| o.eq_ignore_ascii_case(n))
            }
        };
        has && applies
    }
}

/// The account's privileges on one member, from `SHOW GRANTS`; `version` (RDS's engine version,
/// when known) decides whether the 9.7-only grant is needed.
pub(super) fn grants(
    member: &str,
    user: &str,
    lines: &[String],
    version: Option<Version>,
) -> Check {
    let nine_seven = version.is_some_and(Version::writes_initialization_gtids);
    let missing: Vec<&Need> = NEEDS
        .iter()
        .filter(|need| nine_seven || !need.initialization_gtids_only)
        .filter(|need| !lines.iter().any(|line| need.granted_by(line)))
        .collect();
    if missing.is_empty() {
        return Check::pass(
            "grants",
            member,
            format!("{user} has every privilege grkeeper uses (SHOW GRANTS)"),
        );
    }
    let status = missing
        .iter()
        .map(|n| n.missing)
        .max()
        .unwrap_or(Status::Warn);
    let roles = lines
        .iter()
        .any(|l| l.starts_with("GRANT `") || l.starts_with("GRANT '"));
    let lacks: Vec<String> = missing
        .iter()
        .map(|n| format!("{} ON {} ({})", n.privilege, n.target(), n.why))
        .collect();
    let statements: Vec<String> = missing
        .iter()
        .map(|n| format!("GRANT {} ON {} TO '{user}'@'%';", n.privilege, n.target()))
        .collect();
    let mut fix = format!("on any ONLINE member: {}", statements.join(" "));
    if missing.iter().any(|n| n.procedure) {
        fix.push_str(&format!(" ({UNCONFIRMED_EXECUTE})"));
    }
    if roles {
        fix.push_str(
            " (the account also has roles: SHOW GRANTS does not list what they give; check \
             with SHOW GRANTS ... USING <role>)",
        );
    }
    Check::new(
        status,
        "grants",
        member,
        format!("{user} lacks {}", lacks.join("; ")),
        Some(fix),
    )
}

fn setting<'a>(report: &'a AccountReport, name: &str) -> Option<&'a str> {
    report.settings.get(name).and_then(|v| v.as_deref())
}

/// The Group Replication settings every member of `cluster` reports, compared.
pub(super) fn settings(
    cluster: &str,
    reports: &BTreeMap<String, AccountReport>,
    endpoints: &BTreeMap<String, String>,
    min_retention_hours: u32,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let values = |name: &str| -> BTreeMap<&str, &str> {
        reports
            .iter()
            .map(|(m, r)| (m.as_str(), setting(r, name).unwrap_or("")))
            .collect()
    };
    let shown = |values: &BTreeMap<&str, &str>| -> String {
        values
            .iter()
            .map(|(m, v)| format!("{m}={v:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let same = |values: &BTreeMap<&str, &str>| -> Option<String> {
        let mut distinct: Vec<&str> = values.values().copied().collect();
        distinct.sort_unstable();
        distinct.dedup();
        match distinct.as_slice() {
            [one] => Some((*one).to_owned()),
            _ => None,
        }
    };
    let pg = "in the members' DB parameter group, then reboot each member";

    // Group name: one UUID, on every member.
    let names = values("group_replication_group_name");
    checks.push(match same(&names) {
        Some(name) if !name.is_empty() => Check::pass(
            "group_name",
            cluster,
            format!("every member is in group {name}"),
        ),
        _ => Check::new(
            Status::Fail,
            "group_name",
            cluster,
            format!(
                "group_replication_group_name differs or is empty: {}",
                shown(&names)
            ),
            Some(format!(
                "set one UUID (SELECT UUID()) as group_replication_group_name {pg}"
            )),
        ),
    });

    // Seeds: every member lists every other member's endpoint.
    for (member, report) in reports {
        let seeds = setting(report, "group_replication_group_seeds").unwrap_or("");
        let missing: Vec<&str> = endpoints
            .iter()
            .filter(|(other, _)| *other != member)
            .filter(|(_, endpoint)| !seeds.split(',').any(|s| s.trim().starts_with(*endpoint)))
            .map(|(other, _)| other.as_str())
            .collect();
        if !missing.is_empty() {
            checks.push(Check::new(
                Status::Warn,
                "group_seeds",
                member,
                format!(
                    "group_replication_group_seeds {seeds:?} does not list {}: a restarted member \
                     may find no one to join through",
                    missing.join(", ")
                ),
                Some(format!(
                    "list every member's endpoint:3306 in group_replication_group_seeds {pg}"
                )),
            ));
        }
    }
    if !checks.iter().any(|c| c.check == "group_seeds") {
        checks.push(Check::pass(
            "group_seeds",
            cluster,
            "every member's seeds list every other member",
        ));
    }

    // Exit action: the same everywhere, and one grkeeper repairs.
    let actions = values("group_replication_exit_state_action");
    checks.push(match same(&actions).as_deref() {
        Some(action @ ("OFFLINE_MODE" | "READ_ONLY")) => Check::pass(
            "exit_state_action",
            cluster,
            format!("{action} on every member (grkeeper reboots or rejoins such a member)"),
        ),
        _ => Check::new(
            Status::Warn,
            "exit_state_action",
            cluster,
            format!(
                "group_replication_exit_state_action is not OFFLINE_MODE or READ_ONLY on every \
                 member: {}",
                shown(&actions)
            ),
            Some(format!(
                "set OFFLINE_MODE (the RDS default) or READ_ONLY on every member {pg}"
            )),
        ),
    });

    // Consistency: levels that wait on every member hang writes while one is unreachable.
    let levels = values("group_replication_consistency");
    let hanging: Vec<&str> = levels
        .iter()
        .filter(|(_, v)| !matches!(**v, "EVENTUAL" | "BEFORE_ON_PRIMARY_FAILOVER" | ""))
        .map(|(m, _)| *m)
        .collect();
    checks.push(if hanging.is_empty() {
        Check::pass("consistency", cluster, shown(&levels))
    } else {
        Check::new(
            Status::Warn,
            "consistency",
            cluster,
            format!(
                "group_replication_consistency waits on other members on {}: {}",
                hanging.join(", "),
                shown(&levels)
            ),
            Some(format!(
                "use EVENTUAL (or BEFORE_ON_PRIMARY_FAILOVER) {pg}, unless the application needs \
                 more and accepts writes that wait while a member is unreachable"
            )),
        )
    });

    // Auto-rejoin: informational; grkeeper waits for it.
    let tries = values("group_replication_autorejoin_tries");
    checks.push(Check::pass(
        "autorejoin_tries",
        cluster,
        format!(
            "{} (grkeeper waits while a member rejoins by itself)",
            shown(&tries)
        ),
    ));

    // Unreachable majority: 0 (the default) lets a minority's writes hang until grkeeper
    // fences it; a value is only reported.
    let timeouts = values("group_replication_unreachable_majority_timeout");
    checks.push(if timeouts.values().all(|v| !v.is_empty()) {
        Check::pass(
            "unreachable_majority_timeout",
            cluster,
            format!(
                "{} (0: a minority's writes hang until grkeeper stops GR there after \
                 GRKEEPER_PARTITION_DEADLINE_SECS)",
                shown(&timeouts)
            ),
        )
    } else {
        Check::new(
            Status::Warn,
            "unreachable_majority_timeout",
            cluster,
            format!("not reported by every member: {}", shown(&timeouts)),
            Some(
                "Group Replication must be enabled on every member (rds.group_replication_enabled)"
                    .into(),
            ),
        )
    });

    // Start on boot: off leaves a rebooted member OFFLINE until grkeeper rejoins it.
    let boots = values("group_replication_start_on_boot");
    checks.push(if boots.values().all(|v| matches!(*v, "1" | "ON" | "on")) {
        Check::pass("start_on_boot", cluster, "ON on every member")
    } else {
        Check::new(
            Status::Warn,
            "start_on_boot",
            cluster,
            format!(
                "group_replication_start_on_boot is off on some member ({}): after a reboot it \
                     stays OFFLINE until grkeeper rejoins it",
                shown(&boots)
            ),
            Some(format!("set group_replication_start_on_boot to ON {pg}")),
        )
    });

    // Replication basics RDS requires.
    for (name, want) in [
        ("gtid_mode", "ON"),
        ("enforce_gtid_consistency", "ON"),
        ("binlog_format", "ROW"),
    ] {
        let found = values(name);
        checks.push(if found.values().all(|v| v.eq_ignore_ascii_case(want)) {
            Check::pass(name, cluster, format!("{want} on every member"))
        } else {
            Check::new(
                Status::Fail,
                name,
                cluster,
                format!("{name} must be {want}: {}", shown(&found)),
                Some(format!("set {name} = {want} {pg}")),
            )
        });
    }

    // Binlog retention: a member away for a while must still find what it lacks.
    for (member, report) in reports {
        checks.push(match &report.binlog_retention_hours {
            Ok(Some(hours)) if *hours >= min_retention_hours => {
                Check::pass("binlog_retention", member, format!("{hours} hours"))
            }
            Ok(hours) => Check::new(
                Status::Warn,
                "binlog_retention",
                member,
                format!(
                    "binlog retention {} hours, below GRKEEPER_MIN_BINLOG_RETENTION_HOURS \
                     ({min_retention_hours}): a member away longer must be rebuilt",
                    hours.unwrap_or(0)
                ),
                Some(format!(
                    "CALL mysql.rds_set_configuration('binlog retention hours', \
                     {min_retention_hours}); on the member"
                )),
            ),
            Err(why) => Check::new(
                Status::Warn,
                "binlog_retention",
                member,
                format!("cannot read mysql.rds_configuration: {why}"),
                Some("GRANT SELECT ON mysql.rds_configuration to grkeeper's account".into()),
            ),
        });
    }
    checks
}

/// What the parameter groups say (DescribeDBParameters), where RDS reports the values.
pub(super) fn parameter_groups(member: &str, groups: &[ParameterGroup]) -> Vec<Check> {
    let mut checks = Vec::new();
    for group in groups {
        if group.apply_status == "pending-reboot" {
            checks.push(Check::new(
                Status::Warn,
                "parameter_group",
                member,
                format!("{} waits for a reboot to apply", group.name),
                Some("reboot the member in a quiet moment (one member at a time)".into()),
            ));
        }
        for name in ["rds.group_replication_enabled", "rds.custom_dns_resolution"] {
            match group.values.get(name).map(String::as_str) {
                Some("1") => {}
                Some(other) => checks.push(Check::new(
                    Status::Fail,
                    "parameter_group",
                    member,
                    format!("{name} is {other} in {}", group.name),
                    Some(format!(
                        "set {name} = 1 in {}, then reboot the member",
                        group.name
                    )),
                )),
                None => checks.push(Check::new(
                    Status::Warn,
                    "parameter_group",
                    member,
                    format!(
                        "{} does not report {name} (DescribeDBParameters)",
                        group.name
                    ),
                    Some(format!(
                        "check that {} sets {name} = 1 (infra/parameter-group.yaml)",
                        group.name
                    )),
                )),
            }
        }
    }
    if checks.is_empty() {
        checks.push(Check::pass(
            "parameter_group",
            member,
            format!(
                "{}: Group Replication enabled, custom DNS resolution on, in sync",
                groups
                    .iter()
                    .map(|g| g.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    checks
}

/// Who keeps the cluster, from its members' claim tags.
pub(super) fn claim(cluster: &str, ours: &str, tags: &BTreeMap<String, Option<String>>) -> Check {
    if let Some((member, by)) = tags
        .iter()
        .find_map(|(m, by)| by.as_ref().filter(|by| *by != ours).map(|by| (m, by)))
    {
        return Check::new(
            Status::Fail,
            "claim",
            cluster,
            format!(
                "{member} carries {CLAIM_TAG}={by}: deployment {by} keeps this cluster, and \
                 deployment {ours} refuses to act on it"
            ),
            Some(format!(
                "keep the cluster in one deployment: remove it from one (Clusters, Instances or \
                 the cluster tag), then remove the {CLAIM_TAG} tag from the instances of the one \
                 that gives it up"
            )),
        );
    }
    let unclaimed: Vec<&str> = tags
        .iter()
        .filter(|(_, by)| by.is_none())
        .map(|(m, _)| m.as_str())
        .collect();
    if unclaimed.is_empty() {
        Check::pass("claim", cluster, format!("kept by deployment {ours}"))
    } else {
        Check::new(
            Status::Warn,
            "claim",
            cluster,
            format!(
                "{} not claimed yet: the next tick claims them and acts from the tick after",
                unclaimed.join(", ")
            ),
            Some("none needed: wait a minute for the sweep".into()),
        )
    }
}

/// Whether the stack's events and IAM cover every kept instance.
pub(super) fn event_instances(
    cluster: &str,
    instances: &[String],
    published: Option<&Published>,
) -> Check {
    let Some(listed) = published.and_then(|p| p.event_instance_ids.as_ref()) else {
        return Check::new(
            Status::Warn,
            "event_instances",
            cluster,
            "unknown which instances the stack's EventInstanceIds lists (no published \
             configuration names them)",
            Some("run the check where the deployment's functions have published".into()),
        );
    };
    let missing: Vec<&str> = instances
        .iter()
        .filter(|i| !listed.contains(i))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        Check::pass(
            "event_instances",
            cluster,
            "every instance is in EventInstanceIds: its RDS events reach grkeeper and IAM lets \
             grkeeper reboot it",
        )
    } else {
        Check::new(
            Status::Fail,
            "event_instances",
            cluster,
            format!(
                "{} not in the stack's EventInstanceIds: its RDS events never reach grkeeper, \
                 and IAM denies grkeeper its reboot and claim",
                missing.join(", ")
            ),
            Some("add it to EventInstanceIds in the parameters file and sam deploy again".into()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(grants: &[&str]) -> Vec<String> {
        grants.iter().map(|l| (*l).to_owned()).collect()
    }

    /// The grants deploy.md lists as required, without the optional 9.7 one.
    const DOCUMENTED: [&str; 6] = [
        "GRANT USAGE ON *.* TO `grkeeper`@`%`",
        "GRANT SELECT ON `performance_schema`.* TO `grkeeper`@`%`",
        "GRANT SELECT ON `mysql`.`rds_configuration` TO `grkeeper`@`%`",
        "GRANT SELECT ON `mysql`.`rds_history` TO `grkeeper`@`%`",
        "GRANT EXECUTE ON PROCEDURE `mysql`.`rds_group_replication_start` TO `grkeeper`@`%`",
        "GRANT EXECUTE ON PROCEDURE `mysql`.`rds_group_replication_stop` TO `grkeeper`@`%`",
    ];

    #[test]
    fn the_documented_grants_pass() {
        let check = grants("orders-1", "grkeeper", &lines(&DOCUMENTED), None);
        assert_eq!(check.status, Status::Pass, "{check:?}");
    }

    #[test]
    fn on_9_7_the_advance_gtid_grant_is_asked_for_as_a_warning() {
        let nine_seven = Version::parse("9.7.0");
        let check = grants("orders-1", "grkeeper", &lines(&DOCUMENTED), nine_seven);
        assert_eq!(check.status, Status::Warn, "{check:?}");
        assert!(
            check
                .message
                .contains("EXECUTE ON PROCEDURE mysql.rds_group_replication_advance_gtid"),
            "{check:?}"
        );
        let mut all = DOCUMENTED.to_vec();
        all.push(
            "GRANT EXECUTE ON PROCEDURE `mysql`.`rds_group_replication_advance_gtid` TO `grkeeper`@`%`",
        );
        let check = grants("orders-1", "grkeeper", &lines(&all), nine_seven);
        assert_eq!(check.status, Status::Pass, "{check:?}");
    }

    #[test]
    fn before_9_7_or_unknown_the_advance_gtid_grant_is_not_needed() {
        for version in [Version::parse("8.0.36"), Version::parse("8.4.3"), None] {
            let check = grants("orders-1", "grkeeper", &lines(&DOCUMENTED), version);
            assert_eq!(check.status, Status::Pass, "{version:?}: {check:?}");
        }
    }

    #[test]
    fn global_privileges_cover_everything() {
        let check = grants(
            "orders-1",
            "admin",
            &lines(&["GRANT SELECT, EXECUTE ON *.* TO `admin`@`%` WITH GRANT OPTION"]),
            None,
        );
        assert_eq!(check.status, Status::Pass, "{check:?}");
    }

    #[test]
    fn a_missing_procedure_grant_fails_with_the_grant_and_the_unconfirmed_note() {
        let check = grants(
            "orders-1",
            "grkeeper",
            &lines(&[
                "GRANT SELECT ON *.* TO `grkeeper`@`%`",
                "GRANT EXECUTE ON PROCEDURE `mysql`.`rds_group_replication_stop` TO `grkeeper`@`%`",
            ]),
            None,
        );
        assert_eq!(check.status, Status::Fail);
        assert!(
            check
                .message
                .contains("EXECUTE ON PROCEDURE mysql.rds_group_replication_start")
        );
        let fix = check.fix.unwrap_or_default();
        assert!(fix.contains(
            "GRANT EXECUTE ON PROCEDURE mysql.rds_group_replication_start TO 'grkeeper'@'%';"
        ));
        assert!(fix.contains("unconfirmed"), "{fix}");
    }

    #[test]
    fn a_missing_history_grant_only_warns() {
        let check = grants(
            "orders-1",
            "grkeeper",
            &lines(&[
                "GRANT SELECT ON `performance_schema`.* TO `grkeeper`@`%`",
                "GRANT SELECT ON `mysql`.`rds_configuration` TO `grkeeper`@`%`",
                "GRANT EXECUTE ON `mysql`.* TO `grkeeper`@`%`",
            ]),
            None,
        );
        assert_eq!(check.status, Status::Warn, "{check:?}");
        assert!(check.message.contains("mysql.rds_history"));
    }

    #[test]
    fn a_claim_of_another_deployment_fails() {
        let tags = BTreeMap::from([
            ("orders-1".to_owned(), Some("a".to_owned())),
            ("orders-2".to_owned(), Some("b".to_owned())),
        ]);
        let check = claim("orders", "a", &tags);
        assert_eq!(check.status, Status::Fail);
        assert!(check.message.contains("deployment b keeps this cluster"));
    }
}
