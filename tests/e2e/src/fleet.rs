//! Many simulated clusters under one deployment, for the sweep benchmarks: cluster `cNNN` of
//! `n` members (instances `cNNN-1`..`cNNN-n`), every member ONLINE, all in this process, as RDS
//! instances in moto with grkeeper's resources beside them (the [`Harness`](crate::harness)'s),
//! behind the bridge (which shows the simulated members' endpoints and statuses, and runs
//! reboots on them).

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::future::try_join_all;
use gr_sim::{Cluster, SimConfig, Timing};
use grkeeper_demo::sim;

use crate::bridge::Bridge;
use crate::harness::{
    DB_PASSWORD, DB_USER, Deployed, HarnessError, function_env, keep_binlogs, member_instance,
};
use crate::moto::Moto;

/// The simulated clusters, moto, and grkeeper's resources in it.
#[derive(Debug)]
pub struct Fleet {
    /// The clusters, in the order of the sizes they were started with.
    pub clusters: Vec<Arc<Cluster>>,
    /// The AWS stand-in.
    pub moto: Moto,
    /// The proxy in front of it, for every cluster.
    pub bridge: Bridge,
    deployed: Deployed,
}

impl Fleet {
    /// One cluster per entry of `sizes`, that many members each.
    pub async fn start(sizes: &[usize]) -> Result<Fleet, HarnessError> {
        let moto = Moto::start().await?;
        let aws = moto.sdk_config().await;
        let deployed = Deployed::create(&aws, DB_USER, DB_PASSWORD).await?;
        let rds = aws_sdk_rds::Client::new(&aws);
        let clusters = try_join_all(sizes.iter().enumerate().map(|(i, &size)| {
            let rds = rds.clone();
            async move {
                let name = format!("c{i:03}");
                let members: Vec<String> = (1..=size).map(|m| format!("{name}-{m}")).collect();
                let config = SimConfig::new(members.iter().map(String::as_str))
                    .user(DB_USER, DB_PASSWORD)
                    .real_time(Timing::fast());
                let sim = Cluster::start(config).await?;
                keep_binlogs(&sim).await?;
                for member in sim.truth().members {
                    member_instance(&rds, &name, &member.name, &member.version).await?;
                }
                Ok::<_, HarnessError>(Arc::new(sim))
            }
        }))
        .await?;
        let bridge = Bridge::start_many(&moto, clusters.clone())
            .await
            .map_err(HarnessError::Listen)?;
        Ok(Fleet {
            clusters,
            moto,
            bridge,
            deployed,
        })
    }

    /// The number of simulated members in every cluster.
    pub fn members(&self) -> usize {
        self.clusters.iter().map(|c| c.names().len()).sum()
    }

    /// grkeeper's environment for a function process: AWS calls through the bridge, every
    /// member's traffic to its simulated member, and `GRKEEPER_LOCAL_RUN` (without it a function
    /// refuses the endpoint overrides and TLS off).
    pub fn env(&self) -> BTreeMap<String, String> {
        let overrides = self
            .clusters
            .iter()
            .map(|c| sim::endpoint_overrides_env(c))
            .collect::<Vec<_>>()
            .join(",");
        let mut env = function_env(
            &self.moto,
            self.bridge.endpoint_url(),
            overrides,
            &self.deployed.secret_arn,
            &self.deployed.topic_arn,
        );
        env.insert("GRKEEPER_LOCAL_RUN".into(), "on".into());
        env
    }
}
