//! The journal's items, shared by both backends so they answer alike: the keys (the table
//! layout of `docs/journal.md`), the record each item holds, the lease rules, and how stored
//! records become the planner's [`History`].

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::config::Published;
use crate::plan::Action;

use crate::snapshot::{
    ActionKind, Approval, Condition, History, LastSeen, Outcome, PastAction, Pause, Stranger,
};

use super::{ActionId, Alerting, Lease, Memory, journal_time};

/// Sort key of the lease item.
pub(crate) const LEASE: &str = "lease";
/// Sort key of the condition labels item.
pub(crate) const CONDITIONS: &str = "conditions";
/// Sort key of the open incidents item.
pub(crate) const INCIDENTS: &str = "incidents";
/// Partition and sort key of the deployment's published configuration (one per table).
pub(crate) const DEPLOYMENT_PK: &str = "deployment";
pub(crate) const DEPLOYMENT_SK: &str = "config";
const ACTION: &str = "action#";
const PAUSE: &str = "pause";
const APPROVAL: &str = "approval#";

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
    Action(ActionItem),
    Conditions(ConditionsItem),
    Incidents(IncidentsItem),
    Pause(PauseItem),
    Approval(ApprovalItem),
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
        (id, key, Item::Action(ActionItem::new(lease, action, at)))
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
            Item::Deployment(item) => serde_json::to_value(item),
        }
    }
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    pub expires_at: i64,
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
            finished_at: None,
            expires_at: epoch_secs(at.checked_add_signed(ACTION_RETENTION).unwrap_or(at)),
        }
    }
}

/// The [`Memory`] item (under the key `conditions`: items saved before it held the rest read
/// with those empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ConditionsItem {
    pub conditions: BTreeMap<String, Condition>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub last_seen: BTreeMap<String, LastSeen>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub strangers: Vec<Stranger>,
}

impl From<&Memory> for ConditionsItem {
    fn from(memory: &Memory) -> Self {
        ConditionsItem {
            conditions: memory.conditions.clone(),
            last_seen: memory.last_seen.clone(),
            strangers: memory.strangers.clone(),
        }
    }
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

/// The planner's past at `now`, from a cluster's items: what expired (TTL is lazy, and moto
/// never applies it) is left out, as are settled actions older than `lookback`.
pub(crate) fn history<'a>(
    items: impl IntoIterator<Item = &'a Item>,
    now: DateTime<Utc>,
    lookback: Duration,
) -> History {
    let since = TimeDelta::from_std(lookback)
        .ok()
        .and_then(|window| now.checked_sub_signed(window))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let alive = |expires_at: i64| expires_at > epoch_secs(now);
    let mut history = History::default();
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
                });
            }
            Item::Conditions(c) => {
                history.conditions = c.conditions.clone();
                history.last_seen = c.last_seen.clone();
                history.strangers = c.strangers.clone();
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
            _ => {}
        }
    }
    history
        .actions
        .sort_by(|x, y| (x.at, x.kind, &x.instance).cmp(&(y.at, y.kind, &y.instance)));
    history
}
