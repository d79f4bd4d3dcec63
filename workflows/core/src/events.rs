//! WebSub event payloads PMS publishes (mosip-pms.md §11, `COM/helper/WebSubPublisher.java`).
//!
//! Envelope: `EventModel{publisher, topic, publishedOn, event:{id, type:{name, namespace},
//! timestamp, data}}`; the topic is the `EventType` enum name. pmsflow keeps the shapes so IDA
//! consumes them unchanged; the event `id` is the step id, so every retry of one publish step
//! carries the same id and a consumer can de-duplicate on it (PMS sends a fresh UUID each time).

use serde_json::{json, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::envelope::mosip_datetime;

/// `PARTNER_UPDATED`: partner certificate re-signed, partner activated or deactivated.
pub const PARTNER_UPDATED: &str = "PARTNER_UPDATED";
/// `CA_CERTIFICATE_UPLOADED`: a certificate chain is ready at a datashare URL.
pub const CA_CERTIFICATE_UPLOADED: &str = "CA_CERTIFICATE_UPLOADED";

/// Who published the event: `type.name`, `type.namespace` and `publisher` as PMS sets them.
#[derive(Debug, Clone, Copy)]
pub struct Publisher {
    /// Simple class name, e.g. `PartnerServiceImpl`.
    pub name: &'static str,
    /// Fully-qualified name, e.g. `io.mosip.pmp.partner.service.impl.PartnerServiceImpl`.
    pub namespace: &'static str,
}

/// PMS's partner service, publisher of the certificate-upload events.
pub const PARTNER_SERVICE: Publisher = Publisher {
    name: "PartnerServiceImpl",
    namespace: "io.mosip.pmp.partner.service.impl.PartnerServiceImpl",
};

/// Build the `EventModel` JSON for `topic` with `data`.
pub fn event_model(
    topic: &str,
    publisher: Publisher,
    event_id: Uuid,
    data: Value,
    now: OffsetDateTime,
) -> Value {
    let at = mosip_datetime(now);
    json!({
        "publisher": publisher.name,
        "topic": topic,
        "publishedOn": at,
        "event": {
            "id": event_id.to_string(),
            "type": {"name": publisher.name, "namespace": publisher.namespace},
            "timestamp": at,
            "data": data,
        }
    })
}

/// `data` of `PARTNER_UPDATED`: `partnerData{partnerId, partnerName, certificateData,
/// partnerStatus}`; `certificate_pem` is the MOSIP-signed leaf, `active` maps to
/// `ACTIVE`/`DEACTIVE`.
pub fn partner_updated_data(
    partner_id: &str,
    partner_name: &str,
    certificate_pem: &str,
    active: bool,
) -> Value {
    json!({
        "partnerData": {
            "partnerId": partner_id,
            "partnerName": partner_name,
            "certificateData": certificate_pem,
            "partnerStatus": if active { "ACTIVE" } else { "DEACTIVE" },
        }
    })
}

/// `data` of `CA_CERTIFICATE_UPLOADED`: `{certChainDatashareUrl, partnerDomain}`.
pub fn ca_certificate_uploaded_data(datashare_url: &str, partner_domain: &str) -> Value {
    json!({"certChainDatashareUrl": datashare_url, "partnerDomain": partner_domain})
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn partner_updated_shape() {
        let id = Uuid::nil();
        let ev = event_model(
            PARTNER_UPDATED,
            PARTNER_SERVICE,
            id,
            partner_updated_data("p1", "ACME", "PEM", true),
            datetime!(2025-07-04 10:12:00.777 UTC),
        );
        assert_eq!(ev["publisher"], "PartnerServiceImpl");
        assert_eq!(ev["publishedOn"], "2025-07-04T10:12:00.777Z");
        assert_eq!(ev["event"]["type"]["name"], "PartnerServiceImpl");
        assert_eq!(
            ev["event"]["data"]["partnerData"]["partnerStatus"],
            "ACTIVE"
        );
    }
}
