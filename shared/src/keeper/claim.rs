//! A deployment's claim on a cluster, so two deployments never keep one cluster: the members
//! carry the tag `grkeeper:deployment=<GRKEEPER_DEPLOYMENT>`. A cluster another deployment
//! claimed is refused with the name of that deployment; an unclaimed one is claimed, and acted
//! on only from the next tick: two deployments claiming at the same moment both hold back, and
//! the next tick of each sees the one claim that stood (`docs/deploy.md`, "Several deployments
//! side by side").

use crate::model::Instance;
use crate::ports::Ports;
use crate::ports::rds::RdsError;
use crate::ports::reboot::{CLAIM_TAG, RdsReboot};

use super::Keeper;

/// Why a cluster's tick may not go on.
#[derive(Debug, thiserror::Error)]
pub(super) enum ClaimError {
    /// Another deployment keeps the cluster.
    #[error(
        "cluster {cluster:?} is kept by deployment {by:?} (tag {CLAIM_TAG} on {instance}), not by \
         this deployment ({ours:?}): refused. Keep each cluster in one deployment (its Clusters, \
         Instances or cluster tag), then remove the tag from the instances of the one that gives \
         it up"
    )]
    Foreign {
        cluster: String,
        instance: String,
        by: String,
        ours: String,
    },
    /// The claim tag could not be written.
    #[error(
        "cannot claim {instance} of cluster {cluster:?} for deployment {ours:?} ({source}): is it \
         in the stack's EventInstanceIds (the claim and the reboot are allowed only there)?"
    )]
    Tag {
        cluster: String,
        instance: String,
        ours: String,
        #[source]
        source: RdsError,
    },
}

impl ClaimError {
    pub(super) fn kind(&self) -> &'static str {
        match self {
            ClaimError::Foreign { .. } => "kept_by_another_deployment",
            ClaimError::Tag { .. } => "claim_failed",
        }
    }
}

/// What the members' tags say about who keeps the cluster.
#[derive(Debug, PartialEq, Eq)]
enum Reading {
    /// Every member RDS described carries this deployment's claim.
    Ours,
    /// These members carry no claim yet; none carries another.
    Unclaimed(Vec<String>),
    /// A member carries another deployment's claim.
    Foreign { instance: String, by: String },
}

fn read(instances: &[Instance], ours: &str) -> Reading {
    let mut unclaimed = Vec::new();
    for instance in instances {
        let Some(rds) = instance.rds.seen() else {
            continue;
        };
        match rds.tags.get(CLAIM_TAG) {
            Some(by) if by == ours => {}
            Some(by) => {
                return Reading::Foreign {
                    instance: instance.id.clone(),
                    by: by.clone(),
                };
            }
            None => unclaimed.push(instance.id.clone()),
        }
    }
    if unclaimed.is_empty() {
        Reading::Ours
    } else {
        Reading::Unclaimed(unclaimed)
    }
}

/// Checks the claim on `cluster` from its first observation, and claims the members that carry
/// none (not in a dry run, which writes nothing). Returns why acting must wait for the next
/// tick, if it must.
pub(super) async fn settle<P: Ports>(
    keeper: &Keeper<P>,
    cluster: &str,
    instances: &[Instance],
    dry_run: bool,
) -> Result<Option<String>, ClaimError> {
    let ours = &keeper.config.deployment;
    match read(instances, ours) {
        Reading::Ours => Ok(None),
        Reading::Foreign { instance, by } => Err(ClaimError::Foreign {
            cluster: cluster.to_owned(),
            instance,
            by,
            ours: ours.clone(),
        }),
        Reading::Unclaimed(_) if dry_run => Ok(None),
        Reading::Unclaimed(ids) => {
            for id in &ids {
                keeper
                    .rds
                    .claim(id, ours)
                    .await
                    .map_err(|source| ClaimError::Tag {
                        cluster: cluster.to_owned(),
                        instance: id.clone(),
                        ours: ours.clone(),
                        source,
                    })?;
            }
            Ok(Some(format!(
                "claimed {} for deployment {ours} this tick (tag {CLAIM_TAG}); actions start \
                 from the next tick, once no other deployment claimed the cluster meanwhile",
                ids.join(", ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::ClusterBuilder;

    fn tagged(claims: &[Option<&str>]) -> Vec<Instance> {
        let mut instances = ClusterBuilder::healthy(claims.len()).build().instances;
        for (instance, claim) in instances.iter_mut().zip(claims) {
            if let (crate::model::Observed::Seen(rds), Some(by)) = (&mut instance.rds, claim) {
                rds.tags.insert(CLAIM_TAG.into(), (*by).into());
            }
        }
        instances
    }

    #[test]
    fn members_all_claimed_by_this_deployment_are_ours() {
        assert_eq!(read(&tagged(&[Some("a"), Some("a")]), "a"), Reading::Ours);
    }

    #[test]
    fn one_member_claimed_by_another_deployment_refuses_the_cluster() {
        assert_eq!(
            read(&tagged(&[Some("a"), None, Some("b")]), "a"),
            Reading::Foreign {
                instance: "orders-3".into(),
                by: "b".into()
            }
        );
    }

    #[test]
    fn members_without_a_claim_are_to_be_claimed() {
        assert_eq!(
            read(&tagged(&[Some("a"), None, None]), "a"),
            Reading::Unclaimed(vec!["orders-2".into(), "orders-3".into()])
        );
    }
}
