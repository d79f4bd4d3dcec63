//! The schemas and shared responses the handlers' `#[utoipa::path]` attributes name: the PMS
//! envelopes, problem+json, the 401/403/500 answers of each surface, and the response bodies
//! of the handlers (PMS's DTOs, field names as PMS spells them, and the run views of
//! `pmsflow_store::runs`). This module imports no handler, so handlers may name its types.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::{
    openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder},
    IntoResponses, ToSchema,
};
use uuid::Uuid;

/// Security scheme of `Authorization: Bearer <jwt>`.
pub const BEARER: &str = "bearerAuth";
/// Security scheme of the `Authorization` cookie (MOSIP's portal).
pub const COOKIE: &str = "cookieAuth";

fn envelope_response(
    description: &str,
    schema: &str,
    content_type: &str,
) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            content_type,
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(Ref::from_schema_name(schema))))
                .build(),
        )
        .build()
        .into()
}

/// 413 and 503 of every endpoint (`[api]` limits, plain text from the server's layers).
fn limit_responses() -> [(String, RefOr<utoipa::openapi::Response>); 2] {
    let text = |d: &str| -> RefOr<utoipa::openapi::Response> {
        utoipa::openapi::ResponseBuilder::new()
            .description(d)
            .content("text/plain", ContentBuilder::new().build())
            .build()
            .into()
    };
    [
        (
            "413".to_owned(),
            text("The body is larger than `api.max_body_bytes`."),
        ),
        (
            "503".to_owned(),
            text("No answer within `api.request_timeout_ms`."),
        ),
    ]
}

/// 401 / 403 / 413 / 415 / 500 / 503 of a PMS-compatible endpoint (PMS envelopes with
/// `errors`; 413 and 503 plain text).
pub struct PmsDenied;

impl IntoResponses for PmsDenied {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        let e = |d: &str| envelope_response(d, "PmsErrorEnvelope", "application/json");
        BTreeMap::from([
            (
                "401".to_owned(),
                e("No token, or an invalid or expired one: `errors: [{errorCode: \"KER-ATH-401\", message: \"Authentication Failed\"}]`."),
            ),
            (
                "403".to_owned(),
                e("The token's roles may not call this endpoint (`mosip.role.pms.*`): `errors: [{errorCode: \"KER-ATH-403\", message: \"Forbidden\"}]`; or a state-changing request with the session cookie from another site (neither same-origin nor carrying `X-CSRF-Token`): `PMSFLOW_CROSS_SITE`."),
            ),
            (
                "415".to_owned(),
                e("The request body is not JSON (`Content-Type` must be `application/json`): `PMSFLOW_MEDIA_TYPE`."),
            ),
            (
                "500".to_owned(),
                e("Internal failure (logged, details withheld): `PMS_PRT_500`."),
            ),
            limit_responses()[0].clone(),
            limit_responses()[1].clone(),
        ])
    }
}

/// 401 / 413 / 500 / 503 of a native endpoint (problem+json; 413 and 503 plain text).
pub struct NativeDenied;

impl IntoResponses for NativeDenied {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        let p = |d: &str| envelope_response(d, "ProblemDetails", "application/problem+json");
        BTreeMap::from([
            (
                "401".to_owned(),
                p("No token, or an invalid or expired one: `code: \"KER-ATH-401\"`."),
            ),
            (
                "500".to_owned(),
                p("Internal failure (logged, details withheld)."),
            ),
            limit_responses()[0].clone(),
            limit_responses()[1].clone(),
        ])
    }
}

/// 403 of a native endpoint with a role list (problem+json).
pub struct NativeForbidden;

impl IntoResponses for NativeForbidden {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        BTreeMap::from([(
            "403".to_owned(),
            envelope_response(
                "The token's roles may not call this endpoint (`[roles]`): `code: \"KER-ATH-403\"`; or a cookie session's state-changing request without its `X-CSRF-Token` header: `code: PMSFLOW_CSRF`.",
                "ProblemDetails",
                "application/problem+json",
            ),
        )])
    }
}

/// 400 / 403 / 404 / 422 of an operator action under `/v1/admin` (problem+json).
pub struct ActionRefused;

impl IntoResponses for ActionRefused {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        let p = |d: &str| envelope_response(d, "ProblemDetails", "application/problem+json");
        let mut out = BadReason::responses();
        out.extend([
            (
                "403".to_owned(),
                p("A viewer or no console role; or a cookie session without its `X-CSRF-Token` header: `code: PMSFLOW_CSRF`."),
            ),
            ("404".to_owned(), p("No such run, step, partner or schedule.")),
        ]);
        out
    }
}

/// 400 / 422 of an action whose body is the operator's `{reason}` (problem+json).
pub struct BadReason;

impl IntoResponses for BadReason {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        let p = |d: &str| envelope_response(d, "ProblemDetails", "application/problem+json");
        BTreeMap::from([
            (
                "400".to_owned(),
                p("Body is not JSON of this shape: `code: PMS_COR_001`."),
            ),
            (
                "422".to_owned(),
                p("Blank reason, or one over 1,000 characters: `code: PMS_COR_001`."),
            ),
        ])
    }
}

// ---------------------------------------------------------------------------------------------
// Envelopes and errors.

/// MOSIP request envelope (kernel `RequestWrapper`); PMS checks only `request`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct PmsRequest<T> {
    /// Request id, e.g. `mosip.partnermanagement.partners.create`; echoed, not checked.
    id: Option<String>,
    /// API version, e.g. `1.0`; echoed, not checked.
    version: Option<String>,
    /// Client time, `yyyy-MM-ddTHH:mm:ss.SSSZ`; not checked.
    requesttime: Option<String>,
    /// Free-form metadata; ignored.
    metadata: Option<Value>,
    /// The payload.
    request: T,
}

/// MOSIP response envelope (kernel `ResponseWrapper`). On success `response` is set and
/// `errors` an empty list (PMS 1.2.0.1); on a business error (still HTTP 200) `response` is null and `errors` lists
/// `{errorCode, message}`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct PmsResponse<T> {
    /// Echo of the request id (null for GET).
    id: Option<String>,
    /// Echo of the request version.
    version: Option<String>,
    /// Server time, `yyyy-MM-ddTHH:mm:ss.SSSZ`.
    responsetime: String,
    /// Always null.
    metadata: Option<Value>,
    /// The payload, or null on error.
    response: Option<T>,
    /// Empty on success, the errors otherwise.
    errors: Vec<ServiceError>,
}

/// An error envelope: `response` null, `errors` set (401, 403, 500 and business errors).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct PmsErrorEnvelope {
    /// Echo of the request id, or null.
    id: Option<String>,
    /// Echo of the request version, or null.
    version: Option<String>,
    /// Server time, `yyyy-MM-ddTHH:mm:ss.SSSZ`.
    responsetime: String,
    /// Always null.
    metadata: Option<Value>,
    /// Always null.
    response: Option<Value>,
    /// The errors.
    errors: Vec<ServiceError>,
}

/// One MOSIP error (`ServiceError`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ServiceError {
    /// e.g. `PMS_PRT_005`, `KER-PCM-006`, `KER-ATH-401`.
    error_code: String,
    /// PMS's message for the code.
    message: String,
}

/// RFC 9457 problem details of the native API (`application/problem+json`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ProblemDetails {
    /// Always `about:blank`.
    #[serde(rename = "type")]
    kind: String,
    /// Short title, e.g. `Invalid request`.
    title: String,
    /// HTTP status.
    status: u16,
    /// Detail for the caller.
    detail: String,
    /// MOSIP/PMS error code, when one applies (e.g. `PMS_COR_001`, `PMS_PRT_051`,
    /// `KER-ATH-401`).
    code: Option<String>,
    /// Run concerned, when one applies.
    run_id: Option<Uuid>,
}

// ---------------------------------------------------------------------------------------------
// Partners.

/// Partner registration (PMS `PartnerRequest` / `PartnerRequestDto`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct PartnerRegistration {
    /// Partner id, equal to the partner's IAM username; no spaces, at most 36 characters.
    #[schema(min_length = 1, max_length = 36)]
    partner_id: String,
    /// Name of the policy group (mandatory for policy-required partner types).
    policy_group: Option<String>,
    /// Organisation name, 1-128 characters; must equal the `O=` of the partner certificate.
    #[schema(min_length = 1, max_length = 128)]
    organization_name: String,
    /// Postal address, 1-2000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    address: String,
    /// Phone number, 1-16 characters.
    #[schema(min_length = 1, max_length = 16)]
    contact_number: String,
    /// Email address, 1-254 characters.
    #[schema(min_length = 1, max_length = 254)]
    email_id: String,
    /// Partner type code, e.g. `Auth_Partner`, `Device_Provider`, `MISP_Partner`.
    #[schema(min_length = 1)]
    partner_type: String,
    /// Language code; defaults to the first mandatory language.
    lang_code: Option<String>,
    /// v2 only: logo URL.
    logo_url: Option<String>,
    /// v2 only: any JSON object or array.
    additional_info: Option<Value>,
}

/// `{partnerId, status}` of a registration or an update.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct PartnerStatus {
    /// Partner id.
    partner_id: String,
    /// `InProgress` (registered, not yet active) or `Active`.
    status: String,
}

/// Answer of a CA certificate upload.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct CaUploadResult {
    /// Keymanager's status, e.g. `Upload Success.`.
    status: String,
    /// Server time, `yyyy-MM-ddTHH:mm:ss.SSSZ`.
    timestamp: String,
}

/// Answer of a partner certificate upload.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct CertificateUploadResult {
    /// Keymanager's certificate id.
    certificate_id: Option<String>,
    /// The MOSIP-signed leaf certificate, PEM.
    signed_certificate_data: Option<String>,
    /// Server time, `yyyy-MM-ddTHH:mm:ss.SSSZ`.
    timestamp: String,
}

/// The partner's current MOSIP-signed certificate.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct PartnerCertificate {
    /// PEM.
    certificate_data: String,
    /// Server time, `yyyy-MM-ddTHH:mm:ss.SSSZ`.
    timestamp: String,
}

/// The partner's current certificate in both forms
/// (`GET /partners/{partnerId}/originalPartnerCertificate`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct OriginalCertificate {
    /// The certificate the partner uploaded (signed by its CA), PEM.
    ca_signed_certificate_data: String,
    /// The same key re-signed by MOSIP, PEM.
    mosip_signed_certificate_data: String,
    /// Server time, `yyyy-MM-ddTHH:mm:ss.SSSZ`.
    timestamp: String,
}

/// One certificate of a partner's history.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct CertificateHistoryEntry {
    /// keymanager certId.
    certificate_id: String,
    /// Trust domain (`AUTH`, `DEVICE`, `FTM`...).
    partner_domain: String,
    /// SHA-1 thumbprint of the uploaded certificate, lower-case hex.
    original_thumbprint: String,
    /// Issuer DN of the uploaded certificate.
    original_issuer: String,
    /// notAfter of the uploaded certificate, RFC 3339 UTC.
    original_not_after: String,
    /// notAfter of the MOSIP-signed certificate, RFC 3339 UTC.
    signed_not_after: String,
    /// Upload time, RFC 3339 UTC.
    uploaded_at: String,
    /// The run that uploaded it.
    run_id: uuid::Uuid,
    /// `true` for the certificate in use.
    current: bool,
}

/// `GET /v1/partners/{id}/certificates`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct CertificateHistory {
    /// Partner id.
    partner_id: String,
    /// Newest first.
    certificates: Vec<CertificateHistoryEntry>,
}

/// `POST /oidc/client` request (`ClientDetailCreateRequest`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct OidcClientCreate {
    /// Client name, 1–256 characters.
    name: String,
    /// Auth policy id, 1–36 characters; the partner's first request for it must be approved.
    policy_id: String,
    /// The client's public key, an RSA JWK (`kty`, `n`, `e`...).
    #[schema(value_type = Object)]
    public_key: Value,
    /// The `Auth_Partner` id (eSignet `relyingPartyId`), 1–100 characters.
    auth_partner_id: String,
    /// Logo URL, at most 2048 characters.
    logo_uri: String,
    /// 1–5 redirect URIs.
    redirect_uris: Vec<String>,
    /// 1–3 grant types (eSignet: `authorization_code`).
    grant_types: Vec<String>,
    /// 1–3 client auth methods (eSignet: `private_key_jwt`).
    client_auth_methods: Vec<String>,
}

/// `PUT /oidc/client/{clientId}` request (`ClientDetailUpdateRequest`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct OidcClientUpdate {
    /// Logo URL, at most 2048 characters.
    logo_uri: String,
    /// 1–5 non-blank redirect URIs.
    redirect_uris: Vec<String>,
    /// `ACTIVE` or `INACTIVE` (any case).
    status: String,
    /// 1–3 grant types.
    grant_types: Vec<String>,
    /// Client name.
    client_name: String,
    /// 1–3 client auth methods.
    client_auth_methods: Vec<String>,
}

/// `{clientId, status}` of a create or update.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct OidcClientStatus {
    /// base64url(SHA-256(JWK JSON)).
    client_id: String,
    /// `ACTIVE` or `INACTIVE`.
    status: String,
}

/// An OIDC client (`GET /oidc/client/{clientId}`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct OidcClientView {
    /// Client id.
    id: String,
    /// Name.
    name: String,
    /// Auth policy id.
    policy_id: String,
    /// Its name.
    policy_name: Option<String>,
    /// The auth partner.
    relying_party_id: String,
    /// Logo URL.
    logo_uri: String,
    /// Redirect URIs.
    redirect_uris: Vec<String>,
    /// The JWK.
    #[schema(value_type = Object)]
    public_key: Value,
    /// Claims derived from the policy.
    claims: Vec<String>,
    /// ACRs derived from the policy.
    acr_values: Vec<String>,
    /// `PENDING` (creation running), `ACTIVE` or `INACTIVE`.
    status: String,
    /// Grant types.
    grant_types: Vec<String>,
    /// Client auth methods.
    client_auth_methods: Vec<String>,
}

/// `202` of `POST /v1/admin/republish`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct RepublishAccepted {
    /// The run.
    run_id: Uuid,
    /// Partners selected.
    total: usize,
    /// Topics replayed, in replay order.
    topics: Vec<String>,
    /// `{self: /v1/admin/republish/{id}, run: /v1/runs/{id}}`.
    #[schema(value_type = Object)]
    links: Value,
}

/// `GET /v1/admin/session`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ConsoleSession {
    /// User id.
    user: String,
    /// `viewer`, `operator` or `admin`.
    role: String,
    /// May act on runs.
    can_act: bool,
    /// May pause and resume schedules.
    can_admin: bool,
    /// Send as `X-CSRF-Token` with every action of a cookie session.
    csrf_token: String,
}

/// `GET /v1/admin/overview`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ConsoleOverview {
    /// `[{kind, status, count}]`.
    #[schema(value_type = Vec<Object>)]
    by_kind_status: Vec<Value>,
    /// `[{at, completed, failed}]`, oldest first, one per bucket.
    #[schema(value_type = Vec<Object>)]
    throughput: Vec<Value>,
    /// Bucket width, seconds.
    bucket_seconds: i64,
    /// Failed / finished over the window.
    failure_rate: f64,
    /// `{runId, stepKey, readySince, ageSeconds}` of the queued step due longest, or null.
    #[schema(value_type = Option<Object>)]
    oldest_ready_step: Option<Value>,
    /// `{rows, oldestAgeSeconds}` of due outbox rows.
    #[schema(value_type = Object)]
    outbox: Value,
    /// `[{name, startedAt, lastHeartbeat, ageSeconds, alive}]`.
    #[schema(value_type = Vec<Object>)]
    workers: Vec<Value>,
    /// Workers alive (heartbeat younger than three periods).
    workers_alive: i64,
}

/// One run of the console's list.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ConsoleRunRow {
    /// Run id.
    id: Uuid,
    /// Workflow kind.
    kind: String,
    /// Partner id or other subject.
    subject: Option<String>,
    /// The partner's type.
    partner_type: Option<String>,
    /// `running`, `completed`, `failed`, `cancelled`.
    status: String,
    /// The step the run is at.
    current_step: Option<String>,
    /// Error code of a failed run.
    error_code: Option<String>,
    /// Its message.
    error_message: Option<String>,
    /// RFC 3339.
    created_at: String,
    /// RFC 3339.
    updated_at: String,
    /// RFC 3339.
    finished_at: Option<String>,
}

/// `GET /v1/admin/runs`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ConsoleRunPage {
    /// Newest first.
    runs: Vec<ConsoleRunRow>,
    /// Pass as `cursor` for the next page; null on the last.
    next_cursor: Option<Uuid>,
    /// Kinds present, for the filter form.
    kinds: Vec<String>,
}

/// `GET /v1/admin/runs/{id}`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ConsoleRunDetail {
    /// Run id.
    id: Uuid,
    /// Workflow kind.
    kind: String,
    /// Run status.
    status: String,
    /// Run input.
    #[schema(value_type = Object)]
    input: Value,
    /// `[{id, key, seq, status, required, attempt, maxAttempts, nextAttemptAt, startedAt,
    /// finishedAt, durationMs, output, lastError, attempts: [{attempt, outcome, error, worker,
    /// startedAt, finishedAt, durationMs}]}]`.
    #[schema(value_type = Vec<Object>)]
    steps: Vec<Value>,
    /// `{partnerId, partnerType, organizationName, status, approvalStatus}` or null.
    #[schema(value_type = Option<Object>)]
    partner: Option<Value>,
    /// Up to 20 other runs of the partner.
    other_runs: Vec<ConsoleRunRow>,
    /// Operator actions on this run, newest first.
    actions: Vec<AuditEntry>,
    /// `{retry, cancel}`: which run actions apply now.
    #[schema(value_type = Object)]
    allowed: Value,
    /// `{orderingKey, runId}` while the run waits for its ordering key (the runs of one
    /// partner publish one at a time): `runId` is the run that must end first; else null.
    #[schema(value_type = Option<Object>)]
    waiting_for: Option<Value>,
}

/// One entry of the operator audit log.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct AuditEntry {
    /// Sequence number.
    id: i64,
    /// Who.
    actor: String,
    /// `retry`, `retry-now`, `skip`, `cancel`, `republish`, `bulk`, `pause`, `resume`, `trigger`.
    action: String,
    /// The run acted on.
    run_id: Option<Uuid>,
    /// The step acted on.
    step_id: Option<Uuid>,
    /// The partner or schedule.
    subject: Option<String>,
    /// Why.
    reason: String,
    /// State before.
    #[schema(value_type = Option<Object>)]
    before: Option<Value>,
    /// State after.
    #[schema(value_type = Option<Object>)]
    after: Option<Value>,
    /// The bulk action this entry is part of.
    bulk_id: Option<Uuid>,
    /// RFC 3339.
    at: String,
}

/// `GET /v1/admin/bulk/{id}`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct BulkProgress {
    /// Bulk action id (= its run's id).
    id: Uuid,
    /// `retry` or `cancel`.
    action: String,
    /// Who confirmed it.
    actor: String,
    /// Why.
    reason: String,
    /// The run's status.
    status: String,
    /// Runs chosen.
    total: i32,
    /// Runs processed.
    done: i32,
    /// Acted on.
    applied: i32,
    /// No longer applicable when their turn came.
    skipped: i32,
}

/// `GET /v1/admin/republish/{id}`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct RepublishProgress {
    /// The run.
    run_id: Uuid,
    /// `running`, `completed`, `failed`, `cancelled`.
    status: String,
    /// `{scope: partner|partnerType|all, partnerId?, partnerType?}`.
    #[schema(value_type = Object)]
    selection: Value,
    /// Topics replayed.
    topics: Vec<String>,
    /// Partners replayed so far.
    done: i64,
    /// Partners selected.
    total: i64,
}

/// One partner (`GET /partners/{partnerId}`).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct PartnerView {
    /// Partner id.
    #[serde(rename = "partnerID")]
    partner_id: String,
    /// `active` or `De-active`.
    status: String,
    /// Organisation name.
    #[serde(rename = "organizationName")]
    organization_name: String,
    /// Phone number.
    #[serde(rename = "contactNumber")]
    contact_number: String,
    /// Email address.
    #[serde(rename = "emailId")]
    email_id: String,
    /// Postal address.
    address: String,
    /// Partner type code.
    #[serde(rename = "partnerType")]
    partner_type: String,
    /// Name of the mapped policy group, if any.
    #[serde(rename = "policyGroup")]
    policy_group: Option<String>,
    /// Whether the partner is active.
    #[serde(rename = "isActive")]
    is_active: bool,
    /// `InProgress` until a certificate was re-signed, then `approved`.
    #[serde(rename = "approvalStatus")]
    approval_status: String,
}

/// One partner of a listing.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct PartnerSummary {
    /// Partner id.
    #[serde(rename = "partnerID")]
    partner_id: String,
    /// `Active` or `De-Active`.
    status: String,
    /// Organisation name.
    #[serde(rename = "organizationName")]
    organization_name: String,
    /// Phone number.
    #[serde(rename = "contactNumber")]
    contact_number: String,
    /// Email address.
    #[serde(rename = "emailId")]
    email_id: String,
    /// Postal address.
    address: String,
    /// Partner type code.
    #[serde(rename = "partnerType")]
    partner_type: String,
    /// v2 only: logo URL.
    #[serde(rename = "logoUrl")]
    logo_url: Option<String>,
    /// v2 only: additional information (`[]` when none).
    #[serde(rename = "additionalInfo")]
    additional_info: Option<Value>,
}

/// `{partners: [...]}`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct PartnerList {
    /// The partners.
    partners: Vec<PartnerSummary>,
}

/// `{message}`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Message {
    /// What was done.
    message: String,
}

/// A policy mapping request was submitted.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct PolicyMappingRequested {
    /// Id of the request (`PUT /partners/policy/{mappingkey}` decides it).
    mappingkey: String,
    /// `Policy mapping request submitted successfully.`
    message: String,
}

/// One policy mapping request of a partner and its newest key.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ApiKeyRequestView {
    /// Mapping request id.
    #[serde(rename = "apiKeyReqID")]
    api_key_req_id: String,
    /// `InProgress`, `approved` or `rejected`.
    #[serde(rename = "apiKeyRequestStatus")]
    api_key_request_status: String,
    /// The newest API key of the policy, once approved.
    #[serde(rename = "partnerApiKey")]
    partner_api_key: Option<String>,
    /// Its expiry, `yyyy-MM-ddTHH:mm:ss.SSSZ`.
    #[serde(rename = "validityTill")]
    validity_till: Option<String>,
    /// `Active` or `De-Active`.
    #[serde(rename = "apikeyStatus")]
    apikey_status: Option<String>,
}

/// A generated API key.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct GeneratedApiKey {
    /// The key.
    api_key: String,
    /// Its label, unique per partner and policy.
    label: String,
    /// Partner id.
    partner_id: String,
    /// Policy id.
    policy_id: String,
}

// ---------------------------------------------------------------------------------------------
// MISP.

/// A MISP licence key.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct MispLicence {
    /// MISP partner id.
    provider_id: String,
    /// The licence key.
    license_key: String,
    /// Expiry, `yyyy-MM-ddTHH:mm:ss.SSSZ`.
    license_key_expiry: String,
    /// `Active` / `active` or `de-active`.
    license_key_status: String,
}

// ---------------------------------------------------------------------------------------------
// Search and filter values (pms-common `SearchDto`, `FilterValueDto`, `PageResponseDto`).

/// `SearchFilter`: `type` is `equals`, `contains`, `startswith` (case-insensitive; `*` at
/// either end of `value` is a wildcard), `between` (`fromValue`..`toValue`, inclusive) or
/// `in` (`values`). `columnName` is an API field name of the rows searched.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SearchFilterDto {
    /// Field of the rows searched.
    column_name: String,
    /// `equals`, `contains`, `startswith`, `between` or `in`.
    #[serde(rename = "type")]
    filter_type: String,
    /// Value (`equals`, `contains`, `startswith`).
    value: Option<String>,
    /// Values (`in`).
    values: Option<Vec<String>>,
    /// Lower bound (`between`); date-times as `yyyy-MM-ddTHH:mm:ss.SSSZ`.
    from_value: Option<String>,
    /// Upper bound (`between`).
    to_value: Option<String>,
}

/// `SearchSort`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SearchSortDto {
    /// Field of the rows searched.
    sort_field: String,
    /// `asc` or `desc`.
    sort_type: String,
}

/// `Pagination`: page index from 0, page size (default 10). Numbers or numeric strings.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct PaginationDto {
    /// Page index, from 0.
    page_start: i64,
    /// Rows per page, at least 1.
    page_fetch: i64,
}

/// `SearchDto`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Search {
    /// All must hold.
    filters: Vec<SearchFilterDto>,
    /// Sort keys in order; rows then follow their identifying column.
    sort: Vec<SearchSortDto>,
    /// The page; the first 10 rows when absent.
    pagination: Option<PaginationDto>,
    /// Ignored (PMS's search data is not translated).
    #[serde(rename = "languageCode")]
    language_code: Option<String>,
}

/// `PartnerSearchDto`: `SearchDto` + `partnerType`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct PartnerSearch {
    /// As `SearchDto`.
    #[serde(flatten)]
    search: Search,
    /// `all` or a partner type code (required).
    #[schema(min_length = 1)]
    #[serde(rename = "partnerType")]
    partner_type: String,
}

/// `PolicySearchDto`: `SearchDto` + `policyType`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct PolicySearch {
    /// As `SearchDto`.
    #[serde(flatten)]
    search: Search,
    /// `all`, `Auth`, `DataShare`, `CredentialIssuance` or `MISP` (required).
    #[schema(min_length = 1)]
    #[serde(rename = "policyType")]
    policy_type: String,
}

/// `PageResponseDto`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SearchPage {
    /// Number of the page's first row (1-based; 0 for an empty page).
    from_record: i64,
    /// Number of the page's last row.
    to_record: i64,
    /// Rows matching, over all pages.
    total_record: i64,
    /// The rows: the entity's fields (`id`, `name`, `isActive`, `crDtimes`...).
    data: Vec<Value>,
}

/// `FilterDto`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct FilterColumnDto {
    /// Field whose values are wanted (not a date-time field).
    column_name: String,
    /// `unique` (distinct values) or `all`.
    #[serde(rename = "type")]
    filter_type: String,
    /// The values must contain this (case-insensitive).
    text: Option<String>,
}

/// `FilterValueDto`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct FilterValues {
    /// Columns wanted.
    filters: Vec<FilterColumnDto>,
    /// Conditions the rows must meet.
    optional_filters: Vec<SearchFilterDto>,
    /// Ignored.
    language_code: Option<String>,
}

/// `PolicyFilterValueDto`: `FilterValueDto` + `policyType`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct PolicyFilterValues {
    /// As `FilterValueDto`.
    #[serde(flatten)]
    values: FilterValues,
    /// `all` or a policy type (required).
    #[schema(min_length = 1)]
    #[serde(rename = "policyType")]
    policy_type: String,
}

/// `FilterData`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct FilterDatum {
    /// The column asked for.
    #[serde(rename = "fieldID")]
    field_id: String,
    /// A value.
    #[serde(rename = "fieldValue")]
    field_value: String,
    /// The row's identifying column (`all`) or the value (`unique`); empty for booleans.
    #[serde(rename = "fieldCode")]
    field_code: String,
}

/// `FilterResponseCodeDto`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct FilterValuesAnswer {
    /// One entry per value, columns in request order.
    filters: Vec<FilterDatum>,
}

// ---------------------------------------------------------------------------------------------
// Policies.

/// PMS's `PolicyGroup` entity.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct PolicyGroup {
    /// Group id.
    id: String,
    /// Unique name.
    name: String,
    /// Description.
    desc: String,
    /// Whether the group is active.
    #[serde(rename = "is_Active")]
    is_active: bool,
    /// Created by.
    cr_by: String,
    /// Created at, `yyyy-MM-ddTHH:mm:ss.SSSZ`.
    cr_dtimes: String,
    /// Updated by.
    up_by: Option<String>,
    /// Updated at.
    upd_dtimes: Option<String>,
}

/// PMS's `PolicyGroup` entity as listed with its policies (`GET /policies/group/...`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct PolicyGroupEntity {
    /// Group id.
    id: String,
    /// Unique name.
    name: String,
    /// Description.
    desc: String,
    /// Whether the group is active.
    is_active: bool,
    /// Always `false` (groups are not deleted).
    is_deleted: bool,
    /// Created by.
    cr_by: String,
    /// Created at, `yyyy-MM-ddTHH:mm:ss.SSSZ`.
    cr_dtimes: String,
    /// Updated by.
    upd_by: Option<String>,
    /// Updated at.
    upd_dtimes: Option<String>,
    /// Always `null`.
    del_dtimes: Option<String>,
    /// Who created the group.
    user_id: String,
}

/// A policy as listed inside its group.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct PolicyDto {
    /// Policy id.
    id: String,
    /// Group id.
    #[serde(rename = "policyGroupId")]
    policy_group_id: String,
    /// Name.
    name: String,
    /// Description.
    descr: String,
    /// `Auth`, `DataShare`, `CredentialIssuance` or `MISP`.
    policy_type: String,
    /// Version.
    version: String,
    /// `DRAFTED` or `PUBLISHED`.
    status: String,
    /// Whether the policy is active.
    #[serde(rename = "is_Active")]
    is_active: bool,
    /// Schema URL recorded on publish.
    schema: Option<String>,
    /// Valid from, `yyyy-MM-ddTHH:mm:ss.SSSZ`.
    #[serde(rename = "validFromDate")]
    valid_from_date: String,
    /// Valid to.
    #[serde(rename = "validToDate")]
    valid_to_date: String,
    /// Created by.
    cr_by: String,
    /// Created at.
    cr_dtimes: String,
    /// Updated by.
    up_by: Option<String>,
    /// Updated at.
    upd_dtimes: Option<String>,
    /// The policy document.
    policy: Value,
}

/// A group with its policies.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct PolicyGroupWithPolicies {
    /// The group.
    policy_group: PolicyGroupEntity,
    /// Its policies.
    policies: Vec<PolicyDto>,
}

/// PMS's `PolicyResponseDto`: a policy with its group.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct PolicyResponseDto {
    /// Group id.
    #[serde(rename = "policyGroupId")]
    policy_group_id: String,
    /// Group name.
    #[serde(rename = "policyGroupName")]
    policy_group_name: String,
    /// Group description.
    #[serde(rename = "policyGroupDesc")]
    policy_group_desc: String,
    /// Whether the group is active.
    #[serde(rename = "policyGroupStatus")]
    policy_group_status: bool,
    /// Group created by.
    #[serde(rename = "policyGroup_cr_by")]
    policy_group_cr_by: String,
    /// Group created at.
    #[serde(rename = "policyGroup_cr_dtimes")]
    policy_group_cr_dtimes: String,
    /// Group updated by.
    #[serde(rename = "policyGroup_up_by")]
    policy_group_up_by: Option<String>,
    /// Group updated at.
    #[serde(rename = "policyGroup_upd_dtimes")]
    policy_group_upd_dtimes: Option<String>,
    /// Policy id.
    #[serde(rename = "policyId")]
    policy_id: String,
    /// Policy name.
    #[serde(rename = "policyName")]
    policy_name: String,
    /// Policy description.
    #[serde(rename = "policyDesc")]
    policy_desc: String,
    /// Policy type.
    #[serde(rename = "policyType")]
    policy_type: String,
    /// Publication time (null while drafted).
    #[serde(rename = "publishDate")]
    publish_date: Option<String>,
    /// Expiry.
    #[serde(rename = "validTill")]
    valid_till: String,
    /// `DRAFTED` or `PUBLISHED`.
    status: String,
    /// Version.
    version: String,
    /// Schema URL recorded on publish.
    schema: Option<String>,
    /// Whether the policy is active.
    #[serde(rename = "is_Active")]
    is_active: bool,
    /// Created by.
    cr_by: String,
    /// Created at.
    cr_dtimes: String,
    /// Updated by.
    up_by: Option<String>,
    /// Updated at.
    upd_dtimes: Option<String>,
    /// The policy document.
    policies: Value,
}

/// A created or edited draft policy.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct PolicySaved {
    /// Policy id.
    id: String,
    /// Name.
    name: String,
    /// Description.
    desc: String,
    /// Whether the policy is active (false for a draft).
    #[serde(rename = "is_Active")]
    is_active: bool,
    /// Group name.
    #[serde(rename = "policyGroupName")]
    policy_group_name: String,
    /// Policy type.
    #[serde(rename = "policyType")]
    policy_type: String,
    /// Version.
    version: String,
    /// Created by.
    cr_by: String,
    /// Created at.
    cr_dtimes: String,
    /// Updated by.
    up_by: Option<String>,
    /// Updated at.
    upd_dtimes: Option<String>,
}

/// An active policy of a group.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ActivePolicy {
    /// Policy id.
    id: String,
    /// Name.
    name: String,
    /// Description.
    descr: String,
    /// Group id.
    policy_group_id: String,
    /// Group name.
    policy_group_name: String,
    /// Policy type.
    policy_type: String,
}

// ---------------------------------------------------------------------------------------------
// Runs.

/// Links of a run.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct RunLinks {
    /// `/v1/runs/{id}`.
    #[serde(rename = "self")]
    self_: String,
}

/// An onboarding was accepted (202) or replayed (200, same `Idempotency-Key`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct OnboardingAccepted {
    /// The onboarding run.
    run_id: Uuid,
    /// Whether this answers an earlier request with the same `Idempotency-Key`.
    replayed: bool,
    /// The registered partner (absent on a replay).
    partner_id: Option<String>,
    /// Where to follow the run.
    links: RunLinks,
}

/// A run (`pmsflow_store::runs::RunSummary`).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct RunSummary {
    /// Run id.
    id: Uuid,
    /// Workflow kind: `onboarding`, `certificate_upload`, `ca_upload`, `effects`.
    kind: String,
    /// Definition version.
    version: i32,
    /// Partner id or other subject.
    subject: Option<String>,
    /// `running`, `completed`, `failed`, `cancelled`.
    status: String,
    /// Code of the failure that ended the run.
    error_code: Option<String>,
    /// Message of that failure.
    error_message: Option<String>,
    /// Who created it: a user id or a system actor (`system:scheduler`).
    created_by: String,
    /// The partner that owns it (may read it without the run readers' role), if any.
    owner_partner_id: Option<String>,
    /// Creation time (RFC 3339).
    #[schema(format = DateTime)]
    created_at: String,
    /// End time (RFC 3339).
    #[schema(format = DateTime)]
    finished_at: Option<String>,
}

/// One attempt of a step.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct AttemptView {
    /// Attempt number, from 1.
    attempt: i32,
    /// `succeeded`, `failed`, `lease_expired`.
    outcome: String,
    /// The failure (class, code, message, HTTP status, redacted response).
    error: Option<Value>,
    /// Worker that ran it.
    worker: Option<String>,
    /// Start (RFC 3339).
    #[schema(format = DateTime)]
    started_at: Option<String>,
    /// End (RFC 3339).
    #[schema(format = DateTime)]
    finished_at: String,
}

/// One step of a run with its attempts.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct StepView {
    /// Step id.
    id: Uuid,
    /// Stable key, e.g. `keymanager.upload_partner_certificate`.
    key: String,
    /// Position in the run, from 1.
    seq: i32,
    /// `pending`, `queued`, `running`, `succeeded`, `failed`, `skipped`.
    status: String,
    /// Whether the run fails when this step fails.
    required: bool,
    /// Attempts started.
    attempt: i32,
    /// Attempt budget.
    max_attempts: i32,
    /// When the next attempt is due (queued steps).
    #[schema(format = DateTime)]
    next_attempt_at: Option<String>,
    /// Output of the successful attempt.
    output: Option<Value>,
    /// Last failure.
    last_error: Option<Value>,
    /// Start of the latest attempt.
    #[schema(format = DateTime)]
    started_at: Option<String>,
    /// End of the step.
    #[schema(format = DateTime)]
    finished_at: Option<String>,
    /// Every attempt, oldest first.
    attempts: Vec<AttemptView>,
}

/// A run with its input, steps and attempts.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct RunDetail {
    /// The run.
    #[serde(flatten)]
    run: RunSummary,
    /// Its input.
    input: Value,
    /// Its steps in order.
    steps: Vec<StepView>,
}

/// A page of runs, newest first.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct RunPage {
    /// The runs.
    runs: Vec<RunSummary>,
    /// Cursor for the next page (`id` of the last run), if there may be more.
    next_cursor: Option<Uuid>,
}
