//! Route 53 through the bridge. moto refuses to create a weighted record again once it was
//! created and deleted before while another record of its name exists: it compares the change
//! with its change history and then looks for any record of the name, set identifier aside
//! (moto 5.2.5, `route53/models.py`). Route 53 takes it. So the bridge sends a change batch's
//! creations to moto as `UPSERT`s; the rest of the batch goes as it came. What moto then no longer
//! refuses, a creation colliding with an existing record, is tested against the in-memory zone
//! with Route 53's rules (`grkeeper::ports::dns_zone::MemoryZone`).

use bytes::Bytes;

/// The body of a `ChangeResourceRecordSets` request with its creations as upserts; any other
/// body as it is.
pub(super) fn creations_as_upserts(body: Bytes) -> Bytes {
    let Ok(text) = std::str::from_utf8(&body) else {
        return body;
    };
    if !text.contains("<ChangeResourceRecordSetsRequest") {
        return body;
    }
    Bytes::from(text.replace("<Action>CREATE</Action>", "<Action>UPSERT</Action>"))
}
