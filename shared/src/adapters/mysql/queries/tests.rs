//! Row parsing: what each column becomes, and what is refused; and the statements' names.

use super::*;
use crate::model::LastGrCall;

const UUID_A: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const UUID_B: &str = "4e11fa47-71ca-11e1-9e33-c80aa9429562";

fn row(cells: &[Option<&str>]) -> Row {
    cells.iter().map(|c| c.map(str::to_owned)).collect()
}

#[test]
fn a_full_identity_row_fills_identity_and_settings() {
    let executed = format!("{UUID_A}:1-10,\n{UUID_B}:1-3");
    let parsed = identity(&row(&[
        Some(UUID_A),
        Some("ip-10-0-1-11"),
        Some("3306"),
        Some("8.0.36"),
        Some("0"),
        Some("1"),
        Some("0"),
        Some(&executed),
        Some(""),
        Some("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"),
        Some("db1.x:3306, db2.x:3306,"),
        Some("OFFLINE_MODE"),
        Some("3"),
        Some("5"),
        Some("0"),
    ]))
    .unwrap();
    assert_eq!(parsed.server_uuid, UUID_A);
    assert_eq!(parsed.hostname, "ip-10-0-1-11");
    assert!(!parsed.read_only && parsed.super_read_only && !parsed.offline_mode);
    assert_eq!(parsed.gtid_executed.count(), 13);
    assert!(parsed.gtid_purged.is_empty());
    assert_eq!(
        parsed.settings,
        GrSettings {
            group_name: Some("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee".into()),
            group_seeds: vec!["db1.x:3306".into(), "db2.x:3306".into()],
            exit_state_action: Some("OFFLINE_MODE".into()),
            autorejoin_tries: Some(3),
            member_expel_timeout: Some(5),
            unreachable_majority_timeout: Some(0),
            binlog_retention_hours: None,
        }
    );
}

#[test]
fn an_identity_row_without_group_replication_has_empty_settings() {
    let parsed = identity(&row(&[
        Some(UUID_A),
        Some("h"),
        Some("3306"),
        Some("8.0.36"),
        Some("1"),
        Some("1"),
        Some("0"),
        Some(""),
        Some(""),
    ]))
    .unwrap();
    assert_eq!(parsed.settings, GrSettings::default());
    assert!(parsed.read_only);
}

#[test]
fn an_identity_without_server_uuid_or_with_a_bad_gtid_set_is_refused() {
    let mut cells = vec![Some(UUID_A), Some("h"), Some("3306"), Some("8.0.36")];
    cells.extend([Some("0"), Some("0"), Some("0"), Some("garbage"), Some("")]);
    assert!(
        identity(&row(&cells))
            .unwrap_err()
            .starts_with("@@gtid_executed")
    );
    cells[0] = None;
    assert_eq!(
        identity(&row(&cells)).unwrap_err(),
        "@@server_uuid is NULL or missing"
    );
}

#[test]
fn view_rows_parse_every_state_and_refuse_unknown_ones() {
    for (text, state) in [
        ("ONLINE", MemberState::Online),
        ("RECOVERING", MemberState::Recovering),
        ("OFFLINE", MemberState::Offline),
        ("ERROR", MemberState::Error),
        ("UNREACHABLE", MemberState::Unreachable),
    ] {
        let member = view_member(&row(&[
            Some(UUID_A),
            Some("ip-10-0-1-11"),
            Some("3306"),
            Some(text),
            Some("PRIMARY"),
            Some("8.0.36"),
        ]))
        .unwrap();
        assert_eq!(member.state, state);
        assert_eq!(member.port, 3306);
    }
    let unknown = row(&[Some(UUID_A), None, None, Some("DOZING"), None, None]);
    assert_eq!(
        view_member(&unknown).unwrap_err(),
        "unknown MEMBER_STATE \"DOZING\""
    );
}

#[test]
fn uuids_read_in_upper_case_are_lowered_so_a_member_finds_its_own_row() {
    let upper = UUID_A.to_ascii_uppercase();
    let mut report = identity(&row(&[
        Some(&upper),
        Some("ip-10-0-1-11"),
        Some("3306"),
        Some("8.0.36"),
        Some("0"),
        Some("1"),
        Some("0"),
        Some(""),
        Some(""),
    ]))
    .unwrap();
    assert_eq!(report.server_uuid, UUID_A);
    let own = view_member(&row(&[
        Some(&upper),
        Some("ip-10-0-1-11"),
        Some("3306"),
        Some("ONLINE"),
        Some("PRIMARY"),
        Some("8.0.36"),
    ]))
    .unwrap();
    assert_eq!(own.member_id, UUID_A);
    report.view = vec![own];
    assert_eq!(report.own_state(), MemberState::Online);
    let stats = member_stats(&row(&[
        Some(&upper),
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ]));
    assert_eq!(stats.unwrap().member_id, UUID_A);
}

#[test]
fn null_counters_of_an_offline_member_read_as_zero() {
    let stats = member_stats(&row(&[
        Some(UUID_A),
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ]))
    .unwrap();
    assert_eq!(stats.member_id, UUID_A);
    assert_eq!(stats.remote_in_applier_queue, 0);
    let busy = member_stats(&row(&[
        Some(UUID_A),
        Some("1700000000:7"),
        Some("2"),
        Some("0"),
        Some("30000"),
        Some("100"),
        Some("5"),
        Some("1"),
    ]))
    .unwrap();
    assert_eq!(busy.remote_in_applier_queue, 30000);
    assert_eq!(busy.view_id, "1700000000:7");
}

#[test]
fn a_channel_without_error_has_no_error_timestamp() {
    let clean = channel(&row(&[
        Some("group_replication_applier"),
        Some("ON"),
        Some("0"),
        Some(""),
        Some("0000-00-00 00:00:00.000000"),
    ]))
    .unwrap();
    assert_eq!(clean.last_error_timestamp, "");
    let failed = channel(&row(&[
        Some("group_replication_recovery"),
        Some("OFF"),
        Some("13117"),
        Some("Fatal error"),
        Some("2026-11-30 10:00:00.000000"),
    ]))
    .unwrap();
    assert_eq!(failed.last_error_number, 13117);
    assert_eq!(failed.last_error_timestamp, "2026-11-30 10:00:00.000000");
}

#[test]
fn binlog_retention_is_unknown_without_a_row_and_zero_when_rds_keeps_null() {
    assert_eq!(binlog_retention(&[]), Ok(None));
    assert_eq!(binlog_retention(&[row(&[None])]), Ok(Some(0)));
    assert_eq!(binlog_retention(&[row(&[Some("168")])]), Ok(Some(168)));
    assert!(binlog_retention(&[row(&[Some("a week")])]).is_err());
}

#[test]
fn error_log_rows_keep_their_columns() {
    let entry = error_log_entry(&row(&[
        Some("2026-11-30 10:00:00.123456"),
        Some("Error"),
        Some("MY-011526"),
        Some("This member has more executed transactions than those present in the group."),
    ]))
    .unwrap();
    assert_eq!(entry.error_code, "MY-011526");
    assert_eq!(entry.prio, "Error");
}

#[test]
fn the_last_group_replication_call_is_read_from_rds_history() {
    let read = last_gr_call(&[row(&[
        Some("2026-11-30 11:20:04"),
        Some("admin@10.0.3.7"),
        Some("stop group replication"),
    ])])
    .unwrap();
    let LastGrCall::Call(call) = read else {
        panic!("{read:?}")
    };
    assert!(call.is_stop());
    assert_eq!(call.by, "admin@10.0.3.7");
    assert_eq!(last_gr_call(&[]), Ok(LastGrCall::None));
    assert!(last_gr_call(&[row(&[None, None, None])]).is_err());
}

#[test]
fn every_probe_statement_has_a_short_name_of_its_own() {
    let all = [
        IDENTITY,
        IDENTITY_WITHOUT_GR,
        MEMBERS,
        STATS,
        CHANNELS,
        ERROR_LOG,
        BINLOG_RETENTION,
        LAST_GR_CALL,
    ];
    let mut names: Vec<&str> = all.iter().map(|s| s.name).collect();
    for name in &names {
        assert!(
            name.len() <= 30 && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{name:?}"
        );
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), all.len(), "{names:?}");
}
