//! [`DnsZone`] over Route 53: `ListResourceRecordSets` from each name, and one
//! `ChangeResourceRecordSets` batch, which Route 53 applies all or nothing.

use aws_sdk_route53::Client;
use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsError;
use aws_sdk_route53::types::{
    Change as R53Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use tracing::instrument;

use crate::ports::aws::AwsError;
use crate::ports::dns_zone::{Change, DnsError, DnsZone, Record};

const LIST: &str = "Route53.ListResourceRecordSets";
const CHANGE: &str = "Route53.ChangeResourceRecordSets";
/// Records read per call: a name holds at most one weighted record per member (9) here.
const PAGE: i32 = 100;

/// One client, built once per cold start.
#[derive(Debug, Clone)]
pub struct Route53Zone {
    client: Client,
}

impl Route53Zone {
    /// Over `client`.
    pub fn new(client: Client) -> Self {
        Route53Zone { client }
    }
}

impl DnsZone for Route53Zone {
    #[instrument(skip(self))]
    async fn records(&self, zone: &str, names: &[String]) -> Result<Vec<Record>, DnsError> {
        let mut records = Vec::new();
        for name in names {
            let output = self
                .client
                .list_resource_record_sets()
                .hosted_zone_id(zone)
                .start_record_name(name)
                .start_record_type(RrType::Cname)
                .max_items(PAGE)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(LIST, e))?;
            // The listing starts at the name and goes on in DNS order: keep that name's CNAMEs.
            records.extend(
                output
                    .resource_record_sets()
                    .iter()
                    .filter(|set| {
                        set.r#type() == &RrType::Cname && set.name().eq_ignore_ascii_case(name)
                    })
                    .filter_map(|set| {
                        Some(Record {
                            name: name.clone(),
                            set_identifier: set.set_identifier().map(str::to_owned),
                            weight: set.weight(),
                            ttl: set.ttl()?,
                            value: set.resource_records().first()?.value().to_owned(),
                        })
                    }),
            );
        }
        Ok(records)
    }

    #[instrument(skip(self, changes), fields(changes = changes.len()))]
    async fn change(&self, zone: &str, changes: &[Change], comment: &str) -> Result<(), DnsError> {
        let misconfigured =
            |e: aws_sdk_route53::error::BuildError| AwsError::misconfigured(CHANGE, e);
        let mut batch = ChangeBatch::builder().comment(comment);
        for change in changes {
            let (action, record) = match change {
                Change::Delete(r) => (ChangeAction::Delete, r),
                Change::Create(r) => (ChangeAction::Create, r),
            };
            let set = ResourceRecordSet::builder()
                .name(&record.name)
                .r#type(RrType::Cname)
                .ttl(record.ttl)
                .set_set_identifier(record.set_identifier.clone())
                .set_weight(record.weight)
                .resource_records(
                    ResourceRecord::builder()
                        .value(&record.value)
                        .build()
                        .map_err(misconfigured)?,
                )
                .build()
                .map_err(misconfigured)?;
            batch = batch.changes(
                R53Change::builder()
                    .action(action)
                    .resource_record_set(set)
                    .build()
                    .map_err(misconfigured)?,
            );
        }
        let result = self
            .client
            .change_resource_record_sets()
            .hosted_zone_id(zone)
            .change_batch(batch.build().map_err(misconfigured)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                // A delete whose values no longer match, or a create that collides.
                Some(ChangeResourceRecordSetsError::InvalidChangeBatch(refused))
                    if refused.messages().iter().any(|m| stale(m)) =>
                {
                    Err(DnsError::Stale(refused.messages().join("; ")))
                }
                _ => Err(AwsError::from_sdk(CHANGE, e).into()),
            },
        }
    }
}

/// Route 53's words for a batch built on records that changed since: a delete that found no
/// record with those values, a create that found one.
fn stale(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "not found",
        "already exists",
        "values provided do not match",
    ]
    .iter()
    .any(|words| message.contains(words))
}
