//! The journal's items, shared by both backends so they answer alike: the keys (the table
//! layout of `docs/journal.md`), the record each item holds, the lease rules, how the planner's
//! memory is written (a record too large for one item split into parts), and how stored records
//! become the planner's [`History`].

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::config::Published;
use crate::plan::{Action, Memory};

use crate::snapshot::{
    ActionKind, ActiveMember, Approval, History, LastSeen, MaintenanceStep, Outcome, PastAction,
    Pause, Placeholders, SplitBrain, Stranger,
};

use super::{ActionId, Alerting, DnsChange, JournalError, Lease, Tracked, journal_time, timestamp};

/// Sort key of the lease item.
pub(crate) const LEASE: &str = "lease";
/// Sort key of the condition labels item.
pub(crate) const CONDITIONS: &str = "conditions";
/// Sort key of the open incidents item.
pub(crate) const INCIDENTS: &str = "incidents";
/// Sort key of the remembered members outside the inventory.
pub(crate) const STRANGERS: &str = "strangers";
/// Sort key of the remembered split brain.
pub(crate) const SPLIT_BRAIN: &str = "split_brain";
/// Sort key of the member the active DNS name points at.
pub(crate) const ACTIVE: &str = "active";
/// Partition and sort key of the deployment's published configuration (one per table).
pub(crate) const DEPLOYMENT_PK: &str = "deployment";
pub(crate) const DEPLOYMENT_SK: &str = "config";
const ACTION: &str = "action#";
const PAUSE: &str = "pause";
const APPROVAL: &str = "approval#";
const LAST_SEEN: &str = "last_seen#";
const DNS: &str = "dns#";

/// DynamoDB's limit on one item (attribute names and values together).
pub(crate) const ITEM_LIMIT: usize = 400 * 1024;
/// JSON text of a record per part: with its keys and other attributes, a part stays well under
/// [`ITEM_LIMIT`].
const PART_BYTES: usize = 350_000;
/// Parts of one record at most: a record is written in one transaction (25 actions at most on
/// the stand-in, 4 MB on AWS), its stale parts deleted in the same one. 2.8 MB of JSON: GTID sets
/// of some 150,000 intervals.
pub(crate) const MAX_PARTS: usize = 8;

/// How long a journaled action stays readable after its intent (its TTL): far longer than any
/// policy window, so an audit can see last week's actions.
const ACTION_RETENTION: TimeDelta = TimeDelta::days(30);

/// Partition key of everything about `cluster`.
pub(crate) fn partition(cluster: &str) -> String {
    format!("cluster#{cluster}")
}

pub(crate) fn action_key(id: &ActionId) -> String {
    format!("{ACTION}{id}")
}

pub(crate) fn pause_key(instance: Option<&str>) -> String {
    match instance {
        None => PAUSE.to_owned(),
        Some(instance) => format!("{PAUSE}#{instance}"),
    }
}

pub(crate) fn approval_key(action: ActionKind, instance: Option<&str>) -> String {
    format!("{APPROVAL}{action}#{}", instance.unwrap_or("*"))
}

/// Sort key of part `part` of `instance`'s last-seen record (part 0 has no suffix).
pub(crate) fn last_seen_key(instance: &str, part: usize) -> String {
    match part {
        0 => format!("{LAST_SEEN}{instance}"),
        _ => format!("{LAST_SEEN}{instance}#{part}"),
    }
}

/// Sort key of the DNS change batch journaled at `at`.
pub(crate) fn dns_key(at: DateTime<Utc>) -> String {
    format!("{DNS}{}", timestamp(at))
}

/// Epoch seconds: the unit of DynamoDB TTL and of lease expiry.
pub(crate) fn epoch_secs(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

/// `at + ttl` in epoch seconds, saturating instead of overflowing.
pub(crate) fn secs_after(at: DateTime<Utc>, ttl: Duration) -> i64 {
    epoch_secs(at).saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX))
}

/// One stored item, by what its sort key says it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    Lease(LeaseItem),
    Action(Box<ActionItem>),
    Conditions(ConditionsItem),
    Incidents(IncidentsItem),
    Pause(PauseItem),
    Approval(ApprovalItem),
    LastSeen(LastSeenPart),
    Strangers(StrangersItem),
    SplitBrain(SplitBrainItem),
    Active(ActiveItem),
    Dns(DnsItem),
    Deployment(Box<Published>),
}

impl Item {
    /// The intent to take `action` at `now` (journal resolution): its id, sort key and item.
    pub(crate) fn intent(
        lease: &Lease,
        action: &Action,
        now: DateTime<Utc>,
    ) -> (ActionId, String, Item) {
        let at = journal_time(now);
        let id = ActionId::new(at, action.kind, &action.instance);
        let key = action_key(&id);
        (
            id,
            key,
            Item::Action(Box::new(ActionItem::new(lease, action, at))),
        )
    }

    /// A pause of the cluster (or of one instance) and its sort key; it expires with the pause.
    pub(crate) fn pause(instance: Option<&str>, pause: &Pause) -> (String, Item) {
        let item = Item::Pause(PauseItem {
            instance: instance.map(str::to_owned),
            pause: pause.clone(),
            expires_at: epoch_secs(pause.until),
        });
        (pause_key(instance), item)
    }

    /// An approval and its sort key; it expires with the approval.
    pub(crate) fn approval(approval: &Approval) -> (String, Item) {
        let item = Item::Approval(ApprovalItem {
            approval: approval.clone(),
            expires_at: epoch_secs(approval.expires),
        });
        (
            approval_key(approval.action, approval.instance.as_deref()),
            item,
        )
    }

    /// Reads an item's attributes (as JSON) by its sort key.
    pub(crate) fn from_json(sk: &str, value: serde_json::Value) -> Result<Item, String> {
        fn parse<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, String> {
            serde_json::from_value(value).map_err(|e| e.to_string())
        }
        Ok(match sk {
            LEASE => Item::Lease(parse(value)?),
            CONDITIONS => Item::Conditions(parse(value)?),
            INCIDENTS => Item::Incidents(parse(value)?),
            STRANGERS => Item::Strangers(parse(value)?),
            SPLIT_BRAIN => Item::SplitBrain(parse(value)?),
            ACTIVE => Item::Active(parse(value)?),
            _ if sk.starts_with(DNS) => Item::Dns(parse(value)?),
            _ if sk.starts_with(LAST_SEEN) => Item::LastSeen(parse(value)?),
            PAUSE => Item::Pause(parse(value)?),
            DEPLOYMENT_SK => Item::Deployment(parse(value)?),
            _ if sk.starts_with(ACTION) => Item::Action(parse(value)?),
            _ if sk.starts_with(PAUSE) => Item::Pause(parse(value)?),
            _ if sk.starts_with(APPROVAL) => Item::Approval(parse(value)?),
            _ => return Err("unknown sort key".to_owned()),
        })
    }

    /// The item's attributes as JSON (without its keys).
    pub(crate) fn to_json(&self) -> serde_json::Result<serde_json::Value> {
        match self {
            Item::Lease(item) => serde_json::to_value(item),
            Item::Action(item) => serde_json::to_value(item),
            Item::Conditions(item) => serde_json::to_value(item),
            Item::Incidents(item) => serde_json::to_value(item),
            Item::Pause(item) => serde_json::to_value(item),
            Item::Approval(item) => serde_json::to_value(item),
            Item::LastSeen(item) => serde_json::to_value(item),
            Item::Strangers(item) => serde_json::to_value(item),
            Item::SplitBrain(item) => serde_json::to_value(item),
            Item::Active(item) => serde_json::to_value(item),
            Item::Dns(item) => serde_json::to_value(item),
            Item::Deployment(item) => serde_json::to_value(item),
        }
    }

    /// Roughly what DynamoDB counts against [`ITEM_LIMIT`] (attribute names and values, keys
    /// included), erring high: the item's JSON text.
    pub(crate) fn size(&self, cluster: &str, sk: &str) -> usize {
        let attributes = self
            .to_json()
            .map_or(usize::MAX, |json| json.to_string().len());
        attributes.saturating_add(partition(cluster).len() + sk.len() + 4)
    }
}

/// One write of the memory: put an item, or delete one (absent is fine).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Write {
    Put(String, Item),
    Delete(String),
}

/// The writes that store `memory` for `cluster` in place of `before` (the memory as the tick
/// read it), in groups each written atomically (one transaction): one group per instance whose
/// last-seen record changed (its parts, and deletes of the parts its earlier record had beyond
/// them), one per instance no longer remembered (every part deleted: it left the inventory),
/// and one for the strangers and the split brain if either changed. A record larger than
/// [`MAX_PARTS`] parts is refused before anything is written.
pub(crate) fn memory_writes(
    cluster: &str,
    memory: &Memory,
    before: &Memory,
) -> Result<Vec<Vec<Write>>, JournalError> {
    let text = |instance: &str, record: &LastSeen| {
        serde_json::to_string(record).map_err(|e| JournalError::Corrupt {
            cluster: cluster.to_owned(),
            sk: last_seen_key(instance, 0),
            reason: e.to_string(),
        })
    };
    // How many parts a record had: as this version cuts it (a part left beyond them by a
    // record cut otherwise is ignored on reading, so this only keeps the table tidy).
    let parts_before = |instance: &str| -> Result<usize, JournalError> {
        match before.last_seen.get(instance) {
            Some(record) => Ok(chunks(&text(instance, record)?, PART_BYTES).len()),
            None => Ok(0),
        }
    };
    let mut groups = Vec::new();
    for (instance, record) in &memory.last_seen {
        if before.last_seen.get(instance) == Some(record) {
            continue;
        }
        let text = text(instance, record)?;
        let chunks = chunks(&text, PART_BYTES);
        if chunks.len() > MAX_PARTS {
            return Err(JournalError::TooLarge {
                cluster: cluster.to_owned(),
                sk: last_seen_key(instance, 0),
                bytes: text.len(),
                limit: PART_BYTES * MAX_PARTS,
            });
        }
        let parts = u32::try_from(chunks.len()).unwrap_or(u32::MAX);
        let mut group: Vec<Write> = chunks
            .iter()
            .enumerate()
            .map(|(part, chunk)| {
                let item = Item::LastSeen(LastSeenPart {
                    instance: instance.clone(),
                    part: u32::try_from(part).unwrap_or(u32::MAX),
                    parts,
                    record: (*chunk).to_owned(),
                });
                Write::Put(last_seen_key(instance, part), item)
            })
            .collect();
        let stale = chunks.len()..parts_before(instance)?.min(MAX_PARTS);
        group.extend(stale.map(|p| Write::Delete(last_seen_key(instance, p))));
        groups.push(group);
    }
    for instance in before
        .last_seen
        .keys()
        .filter(|i| !memory.last_seen.contains_key(*i))
    {
        let parts = parts_before(instance)?.min(MAX_PARTS);
        groups.push(
            (0..parts)
                .map(|p| Write::Delete(last_seen_key(instance, p)))
                .collect(),
        );
    }
    let mut rest = Vec::new();
    if memory.strangers != before.strangers {
        rest.push(match memory.strangers.is_empty() {
            true => Write::Delete(STRANGERS.to_owned()),
            false => Write::Put(
                STRANGERS.to_owned(),
                Item::Strangers(StrangersItem {
                    strangers: memory.strangers.clone(),
                }),
            ),
        });
    }
    if memory.split_brain != before.split_brain {
        rest.push(match &memory.split_brain {
            None => Write::Delete(SPLIT_BRAIN.to_owned()),
            Some(split) => Write::Put(
                SPLIT_BRAIN.to_owned(),
                Item::SplitBrain(SplitBrainItem {
                    split_brain: split.clone(),
                }),
            ),
        });
    }
    if memory.active != before.active {
        rest.push(match &memory.active {
            None => Write::Delete(ACTIVE.to_owned()),
            Some(active) => Write::Put(
                ACTIVE.to_owned(),
                Item::Active(ActiveItem {
                    active: active.clone(),
                }),
            ),
        });
    }
    if !rest.is_empty() {
        groups.push(rest);
    }
    Ok(groups)
}

/// `text` in pieces of at most `bytes` bytes, cut at character boundaries (at least one piece).
fn chunks(text: &str, bytes: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while rest.len() > bytes {
        let mut cut = bytes;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (piece, tail) = rest.split_at(cut);
        pieces.push(piece);
        rest = tail;
    }
    pieces.push(rest);
    pieces
}

/// The lease: who holds it, its epoch, and until when (epoch seconds). It carries no
/// `expires_at`: TTL must never delete it, or the epoch would start again at 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LeaseItem {
    pub owner: String,
    pub epoch: u64,
    pub lease_until: i64,
}

/// Taking a lease nobody ever held: it must still not exist when the put lands.
pub(crate) const FIRST_TAKE_CONDITION: &str = "attribute_not_exists(pk)";
/// Taking over the lease read at `:epoch`: unchanged since, and still [`LeaseItem::available_to`]
/// us (`:now` in epoch seconds), so a renewal or another take-over in between wins.
pub(crate) const TAKE_OVER_CONDITION: &str =
    "epoch = :epoch AND (lease_until <= :now OR #owner = :owner)";
/// DynamoDB form of [`LeaseItem::fences`].
pub(crate) const FENCE_CONDITION: &str = "#owner = :owner AND epoch = :epoch";

impl LeaseItem {
    /// `owner` may take the lease: it expired, or `owner` holds it already.
    pub(crate) fn available_to(&self, owner: &str, now: DateTime<Utc>) -> bool {
        self.lease_until <= epoch_secs(now) || self.owner == owner
    }

    /// `lease` is still the current one: no other tick took over since it was granted.
    pub(crate) fn fences(&self, lease: &Lease) -> bool {
        self.owner == lease.owner && self.epoch == lease.epoch
    }

    pub(crate) fn lease(&self, cluster: &str) -> Lease {
        Lease {
            cluster: cluster.to_owned(),
            owner: self.owner.clone(),
            epoch: self.epoch,
            expires: at_secs(self.lease_until),
        }
    }
}

/// Epoch seconds back to a time (the far past or future saturate).
pub(crate) fn at_secs(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(if secs < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// One journaled action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ActionItem {
    pub kind: ActionKind,
    pub instance: String,
    pub at: DateTime<Utc>,
    pub outcome: Outcome,
    pub reason: String,
    #[serde(default)]
    pub detail: String,
    /// The lease epoch of the tick that recorded the intent.
    pub epoch: u64,
    /// The call may have been made (`Journal::mark_sent`); items older than the marker read as
    /// sent, the safe reading.
    #[serde(default = "sent_before_marking")]
    pub sent: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    pub expires_at: i64,
    /// A sync step's placeholders; older items have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholders: Option<Placeholders>,
    /// A rolling-maintenance step's work; older items have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<MaintenanceStep>,
}

impl ActionItem {
    pub(crate) fn new(lease: &Lease, action: &Action, at: DateTime<Utc>) -> Self {
        ActionItem {
            kind: action.kind,
            instance: action.instance.clone(),
            at,
            outcome: Outcome::Pending,
            reason: action.reason.clone(),
            detail: String::new(),
            epoch: lease.epoch,
            sent: false,
            finished_at: None,
            expires_at: epoch_secs(at.checked_add_signed(ACTION_RETENTION).unwrap_or(at)),
            placeholders: action.placeholders.clone(),
            maintenance: action.maintenance.clone(),
        }
    }
}

fn sent_before_marking() -> bool {
    true
}

/// Older items hold only `conditions`; `departures` reads as empty then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ConditionsItem {
    #[serde(flatten)]
    pub tracked: Tracked,
}

/// Older items hold only `incidents`; `undelivered` reads as empty then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IncidentsItem {
    #[serde(flatten)]
    pub alerting: Alerting,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PauseItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(flatten)]
    pub pause: Pause,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ApprovalItem {
    #[serde(flatten)]
    pub approval: Approval,
    pub expires_at: i64,
}

/// One part of an instance's last-seen record: its JSON text, cut into `parts` pieces (one, but
/// for GTID sets too large for one item). No `expires_at`: the record lives as long as its
/// instance is in the inventory, and is deleted when it leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LastSeenPart {
    pub instance: String,
    pub part: u32,
    pub parts: u32,
    pub record: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StrangersItem {
    pub strangers: Vec<Stranger>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SplitBrainItem {
    pub split_brain: SplitBrain,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ActiveItem {
    pub active: ActiveMember,
}

/// A journaled DNS change batch; kept as long as an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DnsItem {
    #[serde(flatten)]
    pub change: DnsChange,
    /// The lease epoch of the tick that journaled it.
    pub epoch: u64,
    pub expires_at: i64,
}

impl Item {
    /// The item journaling `change` (its time cut to the journal's resolution) and its key.
    pub(crate) fn dns(lease: &Lease, change: &DnsChange) -> (String, Item) {
        let at = journal_time(change.at);
        let item = Item::Dns(DnsItem {
            change: DnsChange {
                at,
                ..change.clone()
            },
            epoch: lease.epoch,
            expires_at: epoch_secs(at.checked_add_signed(ACTION_RETENTION).unwrap_or(at)),
        });
        (dns_key(at), item)
    }
}

/// Why the DNS change journaled under `key` was refused: as an intent (`intent`), one with its
/// time exists already; as an outcome, no intent has its time.
pub(crate) fn dns_refused(lease: &Lease, key: &str, intent: bool) -> JournalError {
    let (cluster, id) = (lease.cluster.clone(), ActionId::dns(key));
    match intent {
        true => JournalError::IntentTaken { cluster, id },
        false => JournalError::UnknownAction { cluster, id },
    }
}

/// The DNS change batches among `items`, oldest first.
pub(crate) fn dns_changes<'a>(items: impl IntoIterator<Item = &'a Item>) -> Vec<DnsChange> {
    let mut changes: Vec<DnsChange> = items
        .into_iter()
        .filter_map(|item| match item {
            Item::Dns(d) => Some(d.change.clone()),
            _ => None,
        })
        .collect();
    changes.sort_by_key(|c| c.at);
    changes
}

/// The planner's past at `now`, from `cluster`'s items: what expired (TTL is lazy, and moto
/// never applies it) is left out, as are settled actions older than `lookback`; a last-seen
/// record is put together from its parts (a part missing or unreadable is an error: each record
/// is written whole, in one transaction).
pub(crate) fn history<'a>(
    cluster: &str,
    items: impl IntoIterator<Item = &'a Item>,
    now: DateTime<Utc>,
    lookback: Duration,
) -> Result<History, JournalError> {
    let since = TimeDelta::from_std(lookback)
        .ok()
        .and_then(|window| now.checked_sub_signed(window))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let alive = |expires_at: i64| expires_at > epoch_secs(now);
    let mut history = History::default();
    let mut parts: BTreeMap<&str, Vec<&LastSeenPart>> = BTreeMap::new();
    for item in items {
        match item {
            Item::Action(a)
                if alive(a.expires_at) && (a.at >= since || a.outcome == Outcome::Pending) =>
            {
                history.actions.push(PastAction {
                    kind: a.kind,
                    instance: a.instance.clone(),
                    at: a.at,
                    outcome: a.outcome,
                    placeholders: a.placeholders.clone(),
                    maintenance: a.maintenance.clone(),
                });
            }
            Item::Conditions(c) => {
                history.conditions = c.tracked.conditions.clone();
                history.departures = c.tracked.departures.clone();
                history.binlogs = c.tracked.binlogs.clone();
            }
            Item::Pause(p) if p.pause.until > now => match &p.instance {
                None => history.paused = Some(p.pause.clone()),
                Some(instance) => {
                    history
                        .paused_instances
                        .insert(instance.clone(), p.pause.clone());
                }
            },
            Item::Approval(a) if a.approval.expires > now => {
                history.approvals.push(a.approval.clone());
            }
            Item::LastSeen(part) => parts.entry(&part.instance).or_default().push(part),
            Item::Strangers(s) => history.strangers.clone_from(&s.strangers),
            Item::SplitBrain(s) => history.split_brain = Some(s.split_brain.clone()),
            Item::Active(a) => history.active = Some(a.active.clone()),
            _ => {}
        }
    }
    for (instance, mut pieces) in parts {
        pieces.sort_by_key(|p| p.part);
        // Part 0 says how many parts the record has; a part beyond them is a leftover of an
        // earlier, larger record, and is ignored.
        let count = pieces.first().map_or(0, |p| p.parts);
        pieces.retain(|p| p.part < count);
        let whole = pieces
            .iter()
            .enumerate()
            .all(|(i, p)| usize::try_from(p.part) == Ok(i) && p.parts == count)
            && usize::try_from(count) == Ok(pieces.len());
        let corrupt = |reason: String| JournalError::Corrupt {
            cluster: cluster.to_owned(),
            sk: last_seen_key(instance, 0),
            reason,
        };
        if !whole {
            return Err(corrupt(format!(
                "parts {:?} of a record in {count} parts",
                pieces.iter().map(|p| p.part).collect::<Vec<_>>(),
            )));
        }
        let text: String = pieces.iter().map(|p| p.record.as_str()).collect();
        let record: LastSeen = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
        history.last_seen.insert(instance.to_owned(), record);
    }
    history
        .actions
        .sort_by(|x, y| (x.at, x.kind, &x.instance).cmp(&(y.at, y.kind, &y.instance)));
    Ok(history)
}
