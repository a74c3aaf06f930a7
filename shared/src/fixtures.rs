//! Chainable builders for planner tests and the documented examples:
//! `ClusterBuilder::healthy(3).gr_stopped("orders-2").build()`.
//!
//! The builder keeps a small model of each member (its GR state, which side of a partition it
//! is on, whether peers still list it) and derives every member's own view from it, so a
//! scenario stays consistent however many verbs it chains.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::gtid::GtidSet;
use crate::model::{
    APPLIER_CHANNEL, Address, ChannelStatus, ErrorLogEntry, GrCall, GrSettings, Instance,
    InstanceStatus, LastGrCall, MemberReport, MemberState, MemberStats, Observed, ProbeError,
    RdsInstance, ViewMember,
};
use crate::snapshot::{
    ActionKind, Approval, Condition, FORMAT, History, LastSeen, Policy, Snapshot, Stranger,
};

/// The group name every example member is configured with.
pub const GROUP: &str = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";

#[derive(Debug, Clone)]
struct Member {
    id: String,
    uuid: String,
    state: MemberState,
    probe_error: Option<ProbeError>,
    /// Partition side; members on different sides list each other UNREACHABLE.
    side: u8,
    /// Peers still list it UNREACHABLE (crashed, not yet expelled).
    listed_unreachable: bool,
    /// Rows its own view has besides the derived ones (stale or disagreeing views).
    extra_rows: Vec<(usize, MemberState)>,
    rds: Observed<RdsInstance, String>,
    report: MemberReport,
}

/// Builds a snapshot of a cluster named `orders` with instances `orders-1..n`.
#[derive(Debug, Clone)]
pub struct ClusterBuilder {
    members: Vec<Member>,
    /// Sides bootstrapped apart (split brain) never list each other at all.
    split: bool,
    observed_at: DateTime<Utc>,
    policy: Policy,
    history: History,
    db_user: Option<String>,
    /// Copies of members running outside the inventory, in the group: (uuid, host).
    copies: Vec<(String, String)>,
}

impl ClusterBuilder {
    /// `n` members, all ONLINE in one group, each with the group's 100 transactions.
    pub fn healthy(n: usize) -> Self {
        let endpoints: Vec<String> = (1..=n).map(endpoint).collect();
        let members = (1..=n)
            .map(|i| {
                let id = format!("orders-{i}");
                let uuid = server_uuid(i);
                Member {
                    rds: Observed::Seen(RdsInstance {
                        status: InstanceStatus("available".into()),
                        endpoint: Some(format!("{id}.abcdefghijkl.us-east-1.rds.amazonaws.com")),
                        port: Some(3306),
                        engine_version: Some("8.0.36".into()),
                        parameter_apply_status: Some("in-sync".into()),
                        maintenance_window: None,
                        auto_minor_version_upgrade: None,
                        pending_maintenance: None,
                        tags: BTreeMap::from([("grkeeper:cluster".into(), "orders".into())]),
                    }),
                    report: MemberReport {
                        server_uuid: uuid.clone(),
                        hostname: format!("ip-10-0-1-{}", 10 + i),
                        port: None,
                        version: "8.0.36".into(),
                        read_only: false,
                        super_read_only: false,
                        offline_mode: false,
                        gtid_executed: gtids(&format!("{GROUP}:1-100")),
                        gtid_purged: GtidSet::new(),
                        settings: GrSettings {
                            group_name: Some(GROUP.into()),
                            group_seeds: endpoints.clone(),
                            exit_state_action: Some("OFFLINE_MODE".into()),
                            autorejoin_tries: Some(3),
                            member_expel_timeout: Some(5),
                            unreachable_majority_timeout: Some(0),
                            binlog_retention_hours: Some(168),
                        },
                        view: Vec::new(),
                        stats: Vec::new(),
                        channels: Vec::new(),
                        errors: Vec::new(),
                        last_gr_call: LastGrCall::None,
                    },
                    id,
                    uuid,
                    state: MemberState::Online,
                    probe_error: None,
                    side: 0,
                    listed_unreachable: false,
                    extra_rows: Vec::new(),
                }
            })
            .collect();
        ClusterBuilder {
            members,
            split: false,
            observed_at: at("2026-11-30T12:00:00Z"),
            policy: Policy::default(),
            history: History::default(),
            db_user: None,
            copies: Vec::new(),
        }
    }

    /// Sets the observation time ("now").
    pub fn at(mut self, time: &str) -> Self {
        self.observed_at = at(time);
        self
    }

    /// GR stopped on the member (OFFLINE, super-read-only); peers no longer list it.
    pub fn gr_stopped(self, id: &str) -> Self {
        self.with(id, |m| {
            m.state = MemberState::Offline;
            m.report.super_read_only = true;
        })
    }

    /// `by` stopped GR on the member at `at` with `rds_group_replication_stop()`: OFFLINE, and
    /// `mysql.rds_history` says who and when.
    pub fn stopped_by(self, id: &str, by: &str, at: &str) -> Self {
        let call = GrCall {
            at: at.into(),
            by: by.into(),
            action: "stop group replication".into(),
        };
        self.gr_stopped(id)
            .with(id, |m| m.report.last_gr_call = LastGrCall::Call(call))
    }

    /// The member is in ERROR (exit action READ_ONLY or auto-rejoin running).
    pub fn error_state(self, id: &str) -> Self {
        self.with(id, |m| {
            m.state = MemberState::Error;
            m.report.super_read_only = true;
        })
    }

    /// The member's exit action put it in offline mode: connections get error 3032, or 6400 with
    /// the reason on a 9.x member (set its version first).
    pub fn offline_mode(self, id: &str) -> Self {
        let nine = self
            .members
            .iter()
            .find(|m| m.id == id)
            .is_some_and(|m| m.report.version.starts_with('9'));
        self.offline_mode_with(id, if nine { 6400 } else { 3032 })
    }

    /// Offline mode answered with `code` (3032, 6400 or 6401) and MySQL's message for it.
    pub fn offline_mode_with(self, id: &str, code: u16) -> Self {
        let message = match code {
            6400 => {
                "The server is currently in offline mode since 2026-11-30 11:58:00, reason: \
                     (GR) leave group on failure"
            }
            6401 => {
                "The server is currently in offline mode since 2026-11-30 11:58:00, set by \
                     user admin"
            }
            _ => "The server is currently in offline mode",
        };
        self.with(id, |m| {
            m.state = MemberState::Error;
            m.probe_error = Some(ProbeError::Mysql {
                code,
                message: message.into(),
            });
        })
    }

    /// The member cannot be read (`error`); `listed` keeps it UNREACHABLE in its peers' views.
    pub fn unreadable(self, id: &str, error: ProbeError, listed: bool) -> Self {
        self.with(id, |m| {
            m.probe_error = Some(error);
            m.listed_unreachable = listed;
        })
    }

    /// The member crashed: connections refused; its peers still list it UNREACHABLE.
    pub fn crashed(self, id: &str) -> Self {
        let refused = ProbeError::Refused {
            message: "Connection refused (os error 111)".into(),
        };
        self.unreadable(id, refused, true)
    }

    /// The member crashed and came back OFFLINE before its peers expelled the old incarnation,
    /// which they still list UNREACHABLE.
    pub fn restarted_before_expel(self, id: &str) -> Self {
        self.gr_stopped(id)
            .with(id, |m| m.listed_unreachable = true)
    }

    /// `viewer`'s own view also lists the `member`-th member (1-based, as in [`server_uuid`];
    /// beyond the cluster's size it is a member no inventory instance is) in `state`.
    pub fn also_lists(self, viewer: &str, member: usize, state: MemberState) -> Self {
        self.with(viewer, |m| m.extra_rows.push((member, state)))
    }

    /// RDS status of the instance.
    pub fn rds_status(self, id: &str, status: &str) -> Self {
        self.with(id, |m| {
            if let Observed::Seen(rds) = &mut m.rds {
                rds.status = InstanceStatus(status.into());
            }
        })
    }

    /// The member is RECOVERING in every view.
    pub fn recovering(self, id: &str) -> Self {
        self.with(id, |m| m.state = MemberState::Recovering)
    }

    /// Sets the member's `gtid_executed`.
    pub fn executed(self, id: &str, set: &str) -> Self {
        self.with(id, |m| m.report.gtid_executed = gtids(set))
    }

    /// Sets the member's `gtid_purged`.
    pub fn purged(self, id: &str, set: &str) -> Self {
        self.with(id, |m| m.report.gtid_purged = gtids(set))
    }

    /// Sets the member's server version (and RDS engine version).
    pub fn version(self, id: &str, version: &str) -> Self {
        self.with(id, |m| {
            m.report.version = version.into();
            if let Observed::Seen(rds) = &mut m.rds {
                rds.engine_version = Some(version.into());
            }
        })
    }

    /// Transactions certified and queued on the member's applier channel (maybe not applied).
    pub fn received(self, id: &str, set: &str) -> Self {
        self.with(id, |m| {
            m.report.channels = vec![ChannelStatus {
                channel: APPLIER_CHANNEL.into(),
                service_state: "OFF".into(),
                last_error_number: 0,
                last_error_message: String::new(),
                last_error_timestamp: String::new(),
                received_transaction_set: gtids(set),
            }];
        })
    }

    /// Sets `super_read_only`.
    pub fn super_read_only(self, id: &str, on: bool) -> Self {
        self.with(id, |m| m.report.super_read_only = on)
    }

    /// Sets the member's applier queue as its own stats row reports it.
    pub fn applier_queue(self, id: &str, queue: u64) -> Self {
        self.with(id, |m| {
            m.report.stats = vec![MemberStats {
                member_id: m.uuid.clone(),
                view_id: "17300000000000000:7".into(),
                remote_in_applier_queue: queue,
                ..MemberStats::default()
            }];
        })
    }

    /// Edits anything else of the member's report.
    pub fn report(self, id: &str, edit: impl FnOnce(&mut MemberReport)) -> Self {
        self.with(id, |m| edit(&mut m.report))
    }

    /// Edits the member's RDS record (no effect when RDS could not be read).
    pub fn rds(self, id: &str, edit: impl FnOnce(&mut RdsInstance)) -> Self {
        self.with(id, |m| {
            if let Observed::Seen(rds) = &mut m.rds {
                edit(rds);
            }
        })
    }

    /// `DescribeDBInstances` failed for the instance.
    pub fn rds_failed(self, id: &str, error: &str) -> Self {
        self.with(id, |m| m.rds = Observed::Failed(error.into()))
    }

    /// A network partition: `minority` members stay ONLINE among themselves and see everyone
    /// else UNREACHABLE; the others see them UNREACHABLE.
    pub fn partition(mut self, minority: &[&str]) -> Self {
        for m in &mut self.members {
            if minority.contains(&m.id.as_str()) {
                m.side = 1;
            }
        }
        self
    }

    /// `members` bootstrapped a second group: the two groups never list each other.
    pub fn split_brain(mut self, members: &[&str]) -> Self {
        self.split = true;
        self.partition(members)
    }

    /// Every member's GR stopped: the state after all members restarted at once.
    pub fn complete_outage(mut self) -> Self {
        for m in &mut self.members {
            m.state = MemberState::Offline;
            m.report.super_read_only = true;
        }
        self
    }

    /// Edits the policy.
    pub fn policy(mut self, edit: impl FnOnce(&mut Policy)) -> Self {
        edit(&mut self.policy);
        self
    }

    /// Edits the history.
    pub fn history(mut self, edit: impl FnOnce(&mut History)) -> Self {
        edit(&mut self.history);
        self
    }

    /// grkeeper logs in as `user` (the snapshot's `db_user`).
    pub fn db_user(mut self, user: &str) -> Self {
        self.db_user = Some(user.into());
        self
    }

    /// The member's `server_uuid` is the `other`-th member's (1-based): a restored copy.
    pub fn same_uuid_as(self, id: &str, other: usize) -> Self {
        self.with(id, |m| {
            m.uuid = server_uuid(other);
            m.report.server_uuid = server_uuid(other);
        })
    }

    /// A copy of the member (a snapshot of it restored into an instance outside the inventory,
    /// at `host`) is `ONLINE` in the group: every live member's view lists it under the member's
    /// `server_uuid`. Set the member itself out of the group (offline mode, stopped).
    pub fn copy_outside(mut self, id: &str, host: &str) -> Self {
        if let Some(m) = self.members.iter().find(|m| m.id == id) {
            self.copies.push((m.uuid.clone(), host.into()));
        }
        self
    }

    /// The journal's last reading of the member: at `time`, holding `executed` (its current
    /// identity and other sets), unchanged since then.
    pub fn last_seen(self, id: &str, time: &str, executed: &str) -> Self {
        let Some(m) = self.members.iter().find(|m| m.id == id) else {
            return self;
        };
        let record = LastSeen {
            at: at(time),
            server_uuid: m.uuid.clone(),
            gtid_executed: gtids(executed),
            received: m.report.received(),
            gtid_purged: m.report.gtid_purged.clone(),
            executed_since: at(time),
            lost: GtidSet::new(),
            address: Address {
                view_host: m.report.hostname.clone(),
                hostname: m.report.hostname.clone(),
                port: Some(3306),
            },
        };
        let id = id.to_string();
        self.history(|h| {
            h.last_seen.insert(id, record);
        })
    }

    /// The journal remembers the `member`-th member (1-based, beyond the cluster: outside the
    /// inventory) as listed by views from `first` to `last`.
    pub fn remembered_stranger(self, member: usize, first: &str, last: &str) -> Self {
        let stranger = Stranger {
            member_id: server_uuid(member),
            host: format!("ip-10-0-1-{}", 10 + member),
            port: 3306,
            first_seen: at(first),
            last_seen: at(last),
        };
        self.history(|h| h.strangers.push(stranger))
    }

    /// `by` approved a bootstrap (on `instance`, or any) until `expires`, giving up `gives_up`.
    pub fn approved_bootstrap(
        self,
        instance: Option<&str>,
        gives_up: &[&str],
        expires: &str,
        by: &str,
    ) -> Self {
        let approval = Approval {
            action: ActionKind::Bootstrap,
            instance: instance.map(str::to_string),
            gives_up: gives_up.iter().map(|g| (*g).to_string()).collect(),
            expires: at(expires),
            by: by.into(),
            gtids: None,
        };
        self.history(|h| h.approvals.push(approval))
    }

    /// RDS wrote `count` transactions under each member's own `server_uuid` when it created it
    /// (9.7 initialization GTIDs), and every member holds placeholders for the others' (the
    /// cluster was set up by AWS's procedure).
    pub fn initialization_gtids_synced(mut self, count: u64) -> Self {
        let all = self
            .members
            .iter()
            .map(|m| format!("{}:1-{count}", m.uuid))
            .collect::<Vec<_>>()
            .join(",");
        for m in &mut self.members {
            m.report.gtid_executed = m.report.gtid_executed.union(&gtids(&all));
        }
        self
    }

    /// `id` is a new instance with Group Replication stopped: it holds the group's transactions
    /// (a restored copy) and `count` initialization GTIDs under its own `server_uuid`, none of
    /// the members' own ones, and they none of its.
    pub fn new_member_with_initialization_gtids(mut self, id: &str, count: u64) -> Self {
        if let Some(uuid) = self
            .members
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.uuid.clone())
        {
            let its = gtids(&format!("{uuid}:1-{}", crate::gtid::MAX_GNO));
            for m in &mut self.members {
                m.report.gtid_executed = m.report.gtid_executed.difference(&its);
            }
        }
        self.gr_stopped(id).with(id, |m| {
            m.report.gtid_executed = gtids(&format!("{GROUP}:1-100,{}:1-{count}", m.uuid));
        })
    }

    /// `by` approved syncing the local GTIDs of `instance` (only `gtids`, when given) until
    /// `expires`.
    pub fn approved_sync(
        self,
        instance: &str,
        gtids: Option<&str>,
        expires: &str,
        by: &str,
    ) -> Self {
        let approval = Approval {
            action: ActionKind::SyncGtids,
            instance: Some(instance.to_string()),
            gives_up: Vec::new(),
            expires: at(expires),
            by: by.into(),
            gtids: gtids.map(self::gtids),
        };
        self.history(|h| h.approvals.push(approval))
    }

    /// The member's error log (newest first, as the probe reads it): `(LOGGED, DATA)` lines.
    pub fn error_log(self, id: &str, lines: &[(&str, &str)]) -> Self {
        let errors = lines
            .iter()
            .map(|(logged, data)| ErrorLogEntry {
                logged: (*logged).into(),
                prio: "System".into(),
                error_code: "MY-011735".into(),
                data: (*data).into(),
            })
            .collect();
        self.with(id, |m| m.report.errors = errors)
    }

    /// Records that the member has carried `state` since `time`.
    pub fn condition_since(self, id: &str, state: &str, time: &str) -> Self {
        let (id, state, since) = (id.to_string(), state.to_string(), at(time));
        self.history(|h| {
            h.conditions.insert(id, Condition { state, since });
        })
    }

    /// The snapshot, with every member's view derived from the model.
    pub fn build(self) -> Snapshot {
        let instances = self
            .members
            .iter()
            .map(|m| Instance {
                id: m.id.clone(),
                rds: m.rds.clone(),
                mysql: match &m.probe_error {
                    Some(error) => Observed::Failed(error.clone()),
                    None => Observed::Seen(MemberReport {
                        view: self.view_of(m),
                        ..m.report.clone()
                    }),
                },
            })
            .collect();
        Snapshot {
            format: FORMAT,
            cluster: "orders".into(),
            observed_at: self.observed_at,
            instances,
            policy: self.policy,
            history: self.history,
            db_user: self.db_user,
        }
    }

    fn view_of(&self, viewer: &Member) -> Vec<ViewMember> {
        let mut rows = self.derived_view(viewer);
        rows.extend(viewer.extra_rows.iter().map(|&(member, state)| ViewMember {
            member_id: server_uuid(member),
            host: format!("ip-10-0-1-{}", 10 + member),
            port: 3306,
            state,
            role: String::new(),
            version: "8.0.36".into(),
        }));
        if viewer.state.is_live() && viewer.probe_error.is_none() {
            rows.extend(self.copies.iter().map(|(uuid, host)| ViewMember {
                member_id: uuid.clone(),
                host: host.clone(),
                port: 3306,
                state: MemberState::Online,
                role: "PRIMARY".into(),
                version: "8.0.36".into(),
            }));
        }
        rows
    }

    fn derived_view(&self, viewer: &Member) -> Vec<ViewMember> {
        if !viewer.state.is_live() {
            return vec![self.row(viewer, viewer.state)];
        }
        self.members
            .iter()
            .filter_map(|m| {
                let other_side = m.side != viewer.side;
                if other_side && self.split {
                    return None;
                }
                if other_side || m.listed_unreachable {
                    return Some(self.row(m, MemberState::Unreachable));
                }
                (m.probe_error.is_none() && m.state.is_live()).then(|| self.row(m, m.state))
            })
            .collect()
    }

    fn row(&self, m: &Member, state: MemberState) -> ViewMember {
        ViewMember {
            member_id: m.uuid.clone(),
            host: m.report.hostname.clone(),
            port: 3306,
            state,
            role: if state == MemberState::Online {
                "PRIMARY".into()
            } else {
                String::new()
            },
            version: m.report.version.clone(),
        }
    }

    fn with(mut self, id: &str, edit: impl FnOnce(&mut Member)) -> Self {
        if let Some(m) = self.members.iter_mut().find(|m| m.id == id) {
            edit(m);
        }
        self
    }
}

/// `server_uuid` of the i-th example member.
pub fn server_uuid(i: usize) -> String {
    format!("{i:08x}-1111-4222-8333-444444444444")
}

fn endpoint(i: usize) -> String {
    format!("orders-{i}.abcdefghijkl.us-east-1.rds.amazonaws.com:3306")
}

/// A pending maintenance action `action` with no dates and no description.
pub fn pending_maintenance(action: &str) -> crate::model::PendingMaintenance {
    crate::model::PendingMaintenance {
        action: action.into(),
        description: String::new(),
        auto_applied_after: None,
        forced_apply: None,
        current_apply: None,
        opt_in_status: None,
    }
}

/// Parses a time for fixtures; an invalid literal is a bug in the fixture, so it falls back to
/// the epoch and the test using it fails visibly.
pub fn at(time: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(time).map_or(DateTime::UNIX_EPOCH, |t| t.with_timezone(&Utc))
}

fn gtids(set: &str) -> GtidSet {
    set.parse().unwrap_or_default()
}
