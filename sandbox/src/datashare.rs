//! Datashare (mosip-contracts.md §2.3): `POST /v1/datashare/create/{policyId}/{subscriberId}`
//! stores the multipart `file` part and answers a download URL; `GET
//! /v1/datashare/get/{policyId}/{subscriberId}/{key}` serves it at most
//! `transactionsAllowed` times within `validForInMinutes`.

use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::HeaderMap;
use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::macros::format_description;
use time::{Duration, OffsetDateTime};

use crate::envelope::{self, rfc3339, Reply};
use crate::gate::Outcome;
use crate::{lock, App};

/// `validForInMinutes` of the seed policy `mpolicy-default-cert`.
pub const VALID_FOR_MINUTES: i64 = 30;
/// `transactionsAllowed` of the seed policy `mpolicy-default-cert`.
pub const TRANSACTIONS_ALLOWED: u32 = 2;

/// One stored datashare object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatashareObject {
    /// `policyId` path segment.
    pub policy_id: String,
    /// `subscriberId` path segment.
    pub subscriber_id: String,
    /// Object key: `subscriberId + policyId + yyyyMMddHHmmss + 8 random characters`.
    pub key: String,
    /// The download URL answered.
    pub url: String,
    /// The stored bytes.
    pub content: Vec<u8>,
    /// Lower-case hex SHA-256 of the content (the `signature` answered).
    pub sha256: String,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// Successful downloads so far.
    pub downloads: u32,
    #[serde(skip)]
    expires: Option<OffsetDateTime>,
}

/// Datashare's objects in creation order.
#[derive(Debug, Default)]
pub(crate) struct Store {
    objects: Vec<DatashareObject>,
}

impl Store {
    pub(crate) fn objects(&self) -> &[DatashareObject] {
        &self.objects
    }
}

/// Reads the bytes of the `file` part; `None` when absent or empty (or not multipart).
async fn file_part(request: Request) -> Option<Vec<u8>> {
    let mut multipart = Multipart::from_request(request, &()).await.ok()?;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("file") {
            let bytes = field.bytes().await.ok()?;
            return (!bytes.is_empty()).then(|| bytes.to_vec());
        }
    }
    None
}

/// `POST /v1/datashare/create/{policyId}/{subscriberId}`, multipart with part `file`.
/// Missing or empty file: `DAT-SER-003` (HTTP 200, `dataShare: null`).
pub(crate) async fn create(
    State(app): State<Arc<App>>,
    Path((policy_id, subscriber_id)): Path<(String, String)>,
    request: Request,
) -> Reply {
    let headers = request.headers().clone();
    let base_url = app.base_url(&headers);
    let work = async {
        let Some(content) = file_part(request).await else {
            return Outcome::rejected(envelope::datashare_error(
                "DAT-SER-003",
                "File is not exists or File is empty",
            ));
        };
        let now = OffsetDateTime::now_utc();
        let stamp = now
            .format(format_description!(
                "[year][month][day][hour][minute][second]"
            ))
            .unwrap_or_default();
        let random = Alphanumeric.sample_string(&mut rand::rng(), 8);
        let key = format!("{subscriber_id}{policy_id}{stamp}{random}");
        let url = format!("{base_url}/v1/datashare/get/{policy_id}/{subscriber_id}/{key}");
        let sha256 = hex::encode(Sha256::digest(&content));
        let size = content.len();
        lock(&app.datashare).objects.push(DatashareObject {
            policy_id: policy_id.clone(),
            subscriber_id: subscriber_id.clone(),
            key: key.clone(),
            url: url.clone(),
            content,
            sha256: sha256.clone(),
            created_at: rfc3339(now),
            downloads: 0,
            expires: Some(now + Duration::minutes(VALID_FOR_MINUTES)),
        });
        Outcome::done(
            envelope::datashare_ok(json!({
                "url": url,
                "validForInMinutes": VALID_FOR_MINUTES,
                "transactionsAllowed": TRANSACTIONS_ALLOWED,
                "policyId": policy_id,
                "subscriberId": subscriber_id,
                "signature": sha256,
            })),
            format!("{policy_id}/{subscriber_id}/{sha256}"),
            json!({"policyId": policy_id, "subscriberId": subscriber_id, "key": key, "sha256": sha256, "size": size}),
        )
    };
    app.effectful("datashare", "create", "", &headers, work)
        .await
}

/// `GET /v1/datashare/get/{policyId}/{subscriberId}/{key}`: the stored bytes
/// (`application/octet-stream`). Unknown: `DAT-SER-008` "Data share not found"; after
/// `transactionsAllowed` downloads or `validForInMinutes`: `DAT-SER-006` "Data share usuage
/// expired" (both HTTP 200 JSON).
pub(crate) async fn get(
    State(app): State<Arc<App>>,
    Path((policy_id, subscriber_id, key)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Reply {
    app.read("datashare", "get", &headers, async {
        let mut store = lock(&app.datashare);
        let Some(object) = store
            .objects
            .iter_mut()
            .find(|o| o.policy_id == policy_id && o.subscriber_id == subscriber_id && o.key == key)
        else {
            return envelope::datashare_error("DAT-SER-008", "Data share not found");
        };
        let expired = object
            .expires
            .is_some_and(|at| OffsetDateTime::now_utc() > at);
        if expired || object.downloads >= TRANSACTIONS_ALLOWED {
            return envelope::datashare_error("DAT-SER-006", "Data share usuage expired");
        }
        object.downloads += 1;
        Reply::bytes(object.content.clone())
    })
    .await
}
