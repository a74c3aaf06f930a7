//! A slow cluster holds one of the sweep's [`CLUSTERS_AT_ONCE`] places, never the others: the
//! clusters after it in the inventory start while it is still being read.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use super::*;
use crate::ports::member_control::{CallError, MemberControl};
use crate::ports::member_probe::MemberProbe;

/// Two more clusters than there are places.
const CLUSTERS: usize = CLUSTERS_AT_ONCE + 2;
/// One single-member cluster each (`k00` is read first).
const INSTANCES: &str = "k00=k00-db;k01=k01-db;k02=k02-db;k03=k03-db;k04=k04-db;k05=k05-db;\
                         k06=k06-db;k07=k07-db;k08=k08-db;k09=k09-db;k10=k10-db;k11=k11-db";
/// How long the held member waits for the others before the test gives up on them.
const HOLD_AT_MOST: Duration = Duration::from_secs(10);

/// Members answering from memory, except `held`: its probe answers only once every other
/// member has been probed, or after [`HOLD_AT_MOST`].
#[derive(Debug)]
struct Gated {
    inner: MemoryMembers,
    held: Endpoint,
    probed: Mutex<BTreeSet<Endpoint>>,
    others_probed: Notify,
    released: AtomicBool,
    /// How many other members had been probed when the held probe answered.
    read_while_held: AtomicUsize,
}

impl MemberProbe for Gated {
    async fn probe(&self, endpoint: &Endpoint) -> Result<MemberReport, ProbeError> {
        if *endpoint == self.held {
            if !self.released.load(Ordering::SeqCst) {
                let waited = tokio::time::timeout(HOLD_AT_MOST, self.others_probed.notified());
                self.released.store(waited.await.is_ok(), Ordering::SeqCst);
                let read = self.probed.lock().unwrap().len();
                self.read_while_held.store(read, Ordering::SeqCst);
            }
        } else {
            let mut probed = self.probed.lock().unwrap();
            probed.insert(endpoint.clone());
            if probed.len() == CLUSTERS - 1 {
                self.others_probed.notify_one();
            }
        }
        self.inner.probe(endpoint).await
    }

    fn user(&self) -> Option<String> {
        self.inner.user()
    }
}

impl MemberControl for Gated {
    async fn call(
        &self,
        endpoint: &Endpoint,
        procedure: Procedure,
    ) -> Result<ProcedureReply, CallError> {
        self.inner.call(endpoint, procedure).await
    }
}

#[derive(Debug)]
struct GatedPorts;

impl Ports for GatedPorts {
    type Rds = MemoryRds;
    type Members = Gated;
    type Journal = MemoryJournal;
    type Notifier = MemoryNotifier;
    type Bus = MemoryBus;
    type Dns = MemoryZone;
    type Clock = SystemClock;
}

#[tokio::test]
async fn a_slow_cluster_holds_one_place_and_the_clusters_after_it_still_start() {
    let template = ClusterBuilder::healthy(1).build().instances.remove(0);
    let (Observed::Seen(rds), Ok(report)) = (&template.rds, reading(&template)) else {
        panic!("a healthy fixture member is seen");
    };
    let (records, members) = (MemoryRds::new(), MemoryMembers::new());
    for cluster in 0..CLUSTERS {
        let mut record = rds.clone();
        record.endpoint = Some(format!("k{cluster:02}-db.example"));
        record
            .tags
            .insert(CLAIM_TAG.into(), DEFAULT_DEPLOYMENT.into());
        members.set(
            &Endpoint::new(format!("k{cluster:02}-db.example"), 3306),
            Ok(report.clone()),
        );
        records.insert(format!("k{cluster:02}-db"), record);
    }
    let keeper: Keeper<GatedPorts> = Keeper {
        config: config(&[("GRKEEPER_INSTANCES", INSTANCES)]),
        rds: records,
        members: Gated {
            inner: members,
            held: Endpoint::new("k00-db.example", 3306),
            probed: Mutex::default(),
            others_probed: Notify::new(),
            released: AtomicBool::new(false),
            read_while_held: AtomicUsize::new(0),
        },
        journal: MemoryJournal::new(),
        notifier: MemoryNotifier::new(),
        bus: MemoryBus::new(),
        dns: MemoryZone::new(),
        clock: SystemClock,
    };

    let summary = keeper
        .tick(
            &crate::trigger::parse(br#"{"action": "sweep"}"#).unwrap(),
            &options("sweep"),
        )
        .await
        .unwrap();

    assert!(
        keeper.members.released.load(Ordering::SeqCst),
        "k00 waited {HOLD_AT_MOST:?} for the other clusters; {} of {} had started by then",
        keeper.members.read_while_held.load(Ordering::SeqCst),
        CLUSTERS - 1
    );
    let order: Vec<&str> = summary
        .clusters
        .iter()
        .map(|c| c.cluster.as_str())
        .collect();
    let inventory: Vec<String> = (0..CLUSTERS).map(|c| format!("k{c:02}")).collect();
    assert_eq!(order, inventory, "the summary keeps the inventory's order");
}
