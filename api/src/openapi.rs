//! The OpenAPI 3 document of every endpoint, generated from the handlers' `#[utoipa::path]`
//! annotations and doc comments, served at `GET /v1/openapi.json`, and a self-contained HTML
//! rendering of it at `GET /v1/docs` (no script, no external asset: it works offline). Both
//! are public: they describe the API, not its data.
//!
//! The schemas below mirror the JSON the handlers build with `json!` (PMS's DTOs, field names
//! as PMS spells them) and the run views of `pmsflow_store::runs`; they exist only for the
//! document.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use axum::{
    http::header,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::{
    openapi::{
        path::HttpMethod,
        schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Ref, Schema, SchemaType, Type},
        security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
        ContentBuilder, RefOr, ResponseBuilder,
    },
    IntoResponses, Modify, OpenApi, ToSchema,
};
use uuid::Uuid;

use crate::state::AppState;
use crate::{
    admin, console, credentials, lookups, misp, native, oidc, partner_manager, pms, policy,
    republish, schedules, search,
};

/// Security scheme of `Authorization: Bearer <jwt>`.
pub const BEARER: &str = "bearerAuth";
/// Security scheme of the `Authorization` cookie (MOSIP's portal).
pub const COOKIE: &str = "cookieAuth";

/// The OpenAPI document of the whole API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "pmsflow API",
        description = "Partner Management Service rebuild for MOSIP.\n\n\
            **PMS-compatible endpoints** (`/v1/partnermanager`, `/v1/policymanager`) take the \
            MOSIP request envelope `{id, version, requesttime, metadata, request}` and answer \
            the response envelope `{id, version, responsetime, metadata, response, errors}`. \
            As in PMS, business and validation errors are answered with **HTTP 200**, \
            `response: null` and `errors: [{errorCode, message}]`; a body that does not parse \
            is `PMS_COR_001`. A missing or invalid token is HTTP 401 `KER-ATH-401`, a role \
            that may not call the endpoint HTTP 403 `KER-ATH-403`, an internal failure HTTP \
            500 `PMS_PRT_500`. A partner (any caller without the partner-admin role) acts only \
            on the partner whose id is its user id (`PMS_PRT_055` otherwise).\n\n\
            **Native endpoints** (`/v1/onboardings`, `/v1/runs`) take and answer plain JSON; \
            their errors are RFC 9457 `application/problem+json` with the PMS code in `code`.\n\n\
            Every endpoint but these docs needs a JWT, as `Authorization: Bearer <jwt>` or in \
            the `Authorization` cookie; roles come from `realm_access.roles`.",
        license(name = "MPL-2.0"),
    ),
    paths(
        pms::register,
        pms::upload_ca,
        pms::upload_certificate,
        pms::get_certificate,
        pms::get_original_certificate,
        pms::get_partner,
        partner_manager::list_partners,
        partner_manager::list_partners_v2,
        partner_manager::update_partner,
        partner_manager::activate_partner,
        partner_manager::update_partner_v2,
        partner_manager::add_contact,
        partner_manager::map_policy_group,
        partner_manager::request_policy,
        partner_manager::decide_policy_request,
        partner_manager::api_key_requests,
        partner_manager::generate_api_key,
        partner_manager::api_key_status,
        partner_manager::repoint_api_key,
        policy::create_group,
        policy::all_groups,
        policy::update_group,
        policy::get_group,
        policy::create_policy,
        policy::all_policies,
        policy::update_policy,
        policy::get_policy,
        policy::publish_policy,
        policy::policy_status,
        policy::policy_of_partner,
        policy::active_policies_of_group,
        misp::generate,
        misp::update_status,
        misp::list,
        misp::get_or_regenerate,
        oidc::create,
        oidc::update,
        oidc::get_client,
        credentials::add_extractors,
        credentials::get_extractors,
        credentials::map_credential_type,
        credentials::credential_type_policy,
        lookups::verify_email,
        lookups::portal_roles,
        lookups::all_policy_requests,
        lookups::policy_request,
        lookups::api_key_policy,
        search::partners_search,
        search::partner_types_search,
        search::partners_filter,
        search::requests_search,
        search::requests_filter,
        search::api_keys_search,
        search::licences_search,
        search::licences_filter,
        search::groups_search,
        search::groups_filter,
        search::policies_search,
        search::policies_filter,
        native::onboard,
        native::list,
        native::get_run,
        native::certificates,
        schedules::list,
        schedules::pause,
        schedules::resume,
        schedules::trigger,
        republish::start,
        republish::status,
        admin::session,
        admin::overview,
        admin::list_runs,
        admin::run_detail,
        admin::retry_run,
        admin::cancel_run,
        admin::retry_step_now,
        admin::skip_step,
        admin::republish_partner,
        admin::start_bulk,
        admin::bulk_progress,
        admin::audit,
        admin::list_schedules,
        admin::pause_schedule,
        admin::resume_schedule,
        admin::trigger_schedule,
        admin::events,
        console::index,
        console::runs_page,
        console::run_page,
        console::bulk_page,
        console::schedules_page,
        console::audit_page,
        console::script,
        console::style,
        console::login_page,
        console::login,
        console::logout,
        openapi_json,
        docs_page,
    ),
    components(schemas(ServiceError, PmsErrorEnvelope, ProblemDetails)),
    modifiers(&Security, &SharedRoutes, &EnvelopeRefs),
    tags(
        (name = "partners", description = "PMS partner management: registration, certificates, \
            updates, contacts, policy mappings, API keys, activation."),
        (name = "policies", description = "PMS policy manager: policy groups and policies \
            (draft, publish, deactivate)."),
        (name = "misp", description = "PMS MISP licence keys."),
        (name = "oidc", description = "PMS OIDC clients in eSignet: create, update, get; each \
            change is a durable run (eSignet call, record, event, audit)."),
        (name = "search", description = "PMS searches (`SearchDto` → `PageResponseDto`) and \
            filter values (`FilterValueDto` → `{filters}`) over partners, partner types, policy \
            requests, API keys, MISP licences, policy groups and policies."),
        (name = "runs", description = "Native API: one-request onboarding and the durable runs \
            behind every change."),
        (name = "schedules", description = "Native API: the scheduler's sweeps (licence and \
            API-key expiry): list, pause, resume, trigger now."),
        (name = "admin", description = "Native operator API, behind the operator console: \
            overview, runs with filters, run detail, retry / skip / cancel / re-publish with a \
            reason (operator audit log), bulk actions as tracked runs, schedules, live events; \
            re-publication of partners' events to the hub. Console roles viewer / operator / \
            admin come from the token's realm roles (`[console]`); a cookie session sends \
            `X-CSRF-Token` with every action."),
        (name = "console", description = "The operator console's pages (public HTML and \
            script shells; every datum is read through `/v1/admin`) and its dev sign-in."),
        (name = "docs", description = "This document."),
    )
)]
pub struct ApiDoc;

/// Adds the two security schemes the paths name.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "Keycloak RS256 token (mode `jwks`) or a dev HS256 token \
                         (`pmsflow token`); roles from `realm_access.roles`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            COOKIE,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "Authorization",
                "The same JWT in the `Authorization` cookie, as MOSIP's partner portal sends it.",
            ))),
        );
    }
}

/// Documents the routes served by a handler that already has a path: `POST /partners/v2`
/// is `register`, as `POST /partners`.
struct SharedRoutes;

impl Modify for SharedRoutes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(mut op) = openapi
            .paths
            .get_path_operation("/v1/partnermanager/partners", HttpMethod::Post)
            .cloned()
        else {
            return;
        };
        op.operation_id = Some("register_v2".to_owned());
        op.summary = Some("Register a partner (self-registration), v2 path.".to_owned());
        openapi.paths.add_path_operation(
            "/v1/partnermanager/partners/v2",
            vec![HttpMethod::Post],
            op,
        );
    }
}

/// Makes the payload of each `PmsRequest_X` / `PmsResponse_X` envelope a reference to the
/// named schema `X` (utoipa inlines generic arguments), so the document and the HTML page name
/// the payload type.
struct EnvelopeRefs;

impl Modify for EnvelopeRefs {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let names: Vec<String> = components.schemas.keys().cloned().collect();
        for name in names {
            let (field, inner, description) = if let Some(inner) = name.strip_prefix("PmsRequest_")
            {
                ("request", inner, "The payload.")
            } else if let Some(inner) = name.strip_prefix("PmsResponse_") {
                ("response", inner, "The payload, or null on error.")
            } else {
                continue;
            };
            let (array, inner) = match inner.strip_prefix("Vec_") {
                Some(item) => (true, item),
                None => (false, inner),
            };
            let nullable = field == "response";
            let replacement: RefOr<Schema> = if !components.schemas.contains_key(inner) {
                // A plain value (`String`): keep it inline, nullable, described.
                if inner != "String" || array {
                    continue;
                }
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .description(Some(description))
                    .into()
            } else {
                let reference = RefOr::Ref(Ref::from_schema_name(inner));
                match (array, nullable) {
                    (true, _) => ArrayBuilder::new()
                        .schema_type(if nullable {
                            SchemaType::from_iter([Type::Array, Type::Null])
                        } else {
                            SchemaType::new(Type::Array)
                        })
                        .items(reference)
                        .description(Some(description))
                        .into(),
                    (false, true) => OneOfBuilder::new()
                        .item(ObjectBuilder::new().schema_type(Type::Null))
                        .item(reference)
                        .description(Some(description))
                        .into(),
                    (false, false) => reference,
                }
            };
            if let Some(RefOr::T(Schema::Object(envelope))) = components.schemas.get_mut(&name) {
                envelope.properties.insert(field.to_owned(), replacement);
            }
        }
    }
}

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

/// 401 / 403 / 500 of a PMS-compatible endpoint (PMS envelopes with `errors`).
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
                e("The token's roles may not call this endpoint (`mosip.role.pms.*`): `errors: [{errorCode: \"KER-ATH-403\", message: \"Forbidden\"}]`."),
            ),
            (
                "500".to_owned(),
                e("Internal failure (logged, details withheld): `PMS_PRT_500`."),
            ),
        ])
    }
}

/// 401 / 500 of a native endpoint (problem+json).
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
        ])
    }
}

/// 400 / 403 / 404 / 422 of an operator action under `/v1/admin` (problem+json).
pub struct ActionRefused;

impl IntoResponses for ActionRefused {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        let p = |d: &str| envelope_response(d, "ProblemDetails", "application/problem+json");
        BTreeMap::from([
            ("400".to_owned(), p("Body is not JSON of this shape: `code: PMS_COR_001`.")),
            (
                "403".to_owned(),
                p("A viewer or no console role; or a cookie session without its `X-CSRF-Token` header: `code: PMSFLOW_CSRF`."),
            ),
            ("404".to_owned(), p("No such run, step, partner or schedule.")),
            ("422".to_owned(), p("Blank reason, or one over 1,000 characters: `code: PMS_COR_001`.")),
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
/// `errors` null; on a business error (still HTTP 200) `response` is null and `errors` lists
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
    /// Null on success, the errors otherwise.
    errors: Option<Vec<ServiceError>>,
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
    partner_id: String,
    /// Name of the policy group (mandatory for policy-required partner types).
    policy_group: Option<String>,
    /// Organisation name; must equal the `O=` of the partner certificate.
    organization_name: String,
    /// Postal address, 1-2000 characters.
    address: String,
    /// Phone number, 1-16 characters.
    contact_number: String,
    /// Email address.
    email_id: String,
    /// Partner type code, e.g. `Auth_Partner`, `Device_Provider`, `MISP_Partner`.
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
    #[serde(rename = "policyType")]
    policy_type: String,
}

/// `PageResponseDto`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SearchPage {
    /// Offset of the first row of the page.
    from_record: i64,
    /// Offset after the last row of the page.
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
    /// Who created it.
    created_by: String,
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

// ---------------------------------------------------------------------------------------------
// Serving.

/// Routes of the document and its HTML page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/openapi.json", get(openapi_json))
        .route("/v1/docs", get(docs_page))
}

fn document() -> &'static (String, String) {
    static DOC: OnceLock<(String, String)> = OnceLock::new();
    DOC.get_or_init(|| {
        let doc = ApiDoc::openapi();
        let json = doc.to_json().unwrap_or_else(|e| {
            tracing::error!(error = %e, "OpenAPI document does not serialise");
            "{}".to_owned()
        });
        let value: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
        (json, render_html(&value))
    })
}

/// The OpenAPI 3 document of this API.
///
/// Generated from the handlers' annotations and doc comments; no authentication.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "docs",
    responses((status = 200, description = "The OpenAPI 3.1 document (JSON).", content_type = "application/json", body = Object)),
)]
async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document().0.as_str(),
    )
        .into_response()
}

/// This API's documentation as an HTML page.
///
/// A self-contained rendering of `/v1/openapi.json` (no script, no external asset); no
/// authentication.
#[utoipa::path(
    get,
    path = "/v1/docs",
    tag = "docs",
    responses((status = 200, description = "HTML page.", content_type = "text/html", body = String)),
)]
async fn docs_page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        document().1.as_str(),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// HTML rendering.

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// HTML-escape `s`.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with `` `code` `` spans as `<code>`, `**bold**` as `<b>` and blank lines as
/// paragraph breaks (the little Markdown the doc comments use).
fn text(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in esc(s).split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
            continue;
        }
        for (j, piece) in part.split("**").enumerate() {
            if j % 2 == 1 {
                let _ = write!(out, "<b>{piece}</b>");
            } else {
                out.push_str(piece);
            }
        }
    }
    out.replace("\n\n", "<br><br>")
}

/// An id usable in `id=` and `href="#..."`.
fn anchor(prefix: &str, s: &str) -> String {
    let mut out = String::from(prefix);
    for c in s.chars() {
        out.push(if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '-'
        });
    }
    out
}

/// A short description of a schema: a link to a named one, else its type.
fn schema_label(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!(
            "<a href=\"#{}\">{}</a>",
            esc(&anchor("schema-", name)),
            esc(name)
        );
    }
    if let Some(items) = schema.get("items") {
        return format!("array of {}", schema_label(items));
    }
    for key in ["oneOf", "allOf", "anyOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = list
                .iter()
                .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"))
                .map(schema_label)
                .collect();
            return parts.join(if key == "allOf" { " + " } else { " | " });
        }
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "any".to_owned(),
    };
    match schema.get("format").and_then(Value::as_str) {
        Some(f) => esc(&format!("{ty} ({f})")),
        None => esc(&ty),
    }
}

fn content_labels(content: Option<&Value>) -> String {
    let Some(Value::Object(content)) = content else {
        return String::new();
    };
    content
        .iter()
        .map(|(ct, media)| {
            let schema = media.get("schema").map(schema_label).unwrap_or_default();
            format!("<code>{}</code> {schema}", esc(ct))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn render_operation(out: &mut String, path: &str, method: &str, op: &Value) {
    let id = op.get("operationId").and_then(Value::as_str).unwrap_or("");
    let _ = write!(
        out,
        "<section class=\"op\" id=\"{}\"><h3><span class=\"m {}\">{}</span> <code>{}</code></h3>",
        esc(&anchor("op-", id)),
        esc(method),
        esc(&method.to_ascii_uppercase()),
        esc(path)
    );
    if let Some(s) = op.get("summary").and_then(Value::as_str) {
        let _ = write!(out, "<p class=\"summary\">{}</p>", text(s));
    }
    if let Some(d) = op.get("description").and_then(Value::as_str) {
        if !d.trim().is_empty() {
            let _ = write!(out, "<p>{}</p>", text(d));
        }
    }
    match op.get("security").and_then(Value::as_array) {
        Some(reqs) if !reqs.is_empty() => {
            let names: Vec<String> = reqs
                .iter()
                .filter_map(Value::as_object)
                .flat_map(|o| o.keys().map(|k| esc(k)))
                .collect();
            let _ = write!(out, "<p><b>Auth:</b> {}</p>", names.join(" or "));
        }
        _ => out.push_str("<p><b>Auth:</b> none</p>"),
    }
    if let Some(params) = op.get("parameters").and_then(Value::as_array) {
        out.push_str(
            "<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>Description</th></tr>",
        );
        for p in params {
            let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("");
            let required = p.get("required").and_then(Value::as_bool) == Some(true);
            let _ = write!(
                out,
                "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(s("name")),
                if required { " *" } else { "" },
                esc(s("in")),
                p.get("schema").map(schema_label).unwrap_or_default(),
                text(s("description"))
            );
        }
        out.push_str("</table>");
    }
    if let Some(body) = op.get("requestBody") {
        let _ = write!(
            out,
            "<p><b>Request body:</b> {}</p>",
            content_labels(body.get("content"))
        );
    }
    if let Some(Value::Object(responses)) = op.get("responses") {
        out.push_str("<table><tr><th>Status</th><th>Body</th><th>Description</th></tr>");
        for (status, r) in responses {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(status),
                content_labels(r.get("content")),
                text(r.get("description").and_then(Value::as_str).unwrap_or(""))
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</section>");
}

fn render_schema(out: &mut String, name: &str, schema: &Value) {
    let _ = write!(
        out,
        "<section class=\"schema\" id=\"{}\"><h3>{}</h3>",
        esc(&anchor("schema-", name)),
        esc(name)
    );
    if let Some(d) = schema.get("description").and_then(Value::as_str) {
        let _ = write!(out, "<p>{}</p>", text(d));
    }
    // Properties of the schema and of the parts of an `allOf` (flattened structs).
    let mut parts = vec![schema];
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        parts.extend(all.iter());
    }
    let mut rows = String::new();
    for part in parts {
        if part.get("$ref").is_some() {
            let _ = write!(
                rows,
                "<tr><td colspan=\"3\">all fields of {}</td></tr>",
                schema_label(part)
            );
        }
        let required: Vec<&str> = part
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(Value::Object(props)) = part.get("properties") {
            for (prop, s) in props {
                let _ = write!(
                    rows,
                    "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(prop),
                    if required.contains(&prop.as_str()) {
                        " *"
                    } else {
                        ""
                    },
                    schema_label(s),
                    text(s.get("description").and_then(Value::as_str).unwrap_or(""))
                );
            }
        }
    }
    if !rows.is_empty() {
        let _ = write!(
            out,
            "<table><tr><th>Field</th><th>Type</th><th>Description</th></tr>{rows}</table>"
        );
    }
    out.push_str("</section>");
}

/// The whole page for the OpenAPI document `doc`.
fn render_html(doc: &Value) -> String {
    let info = &doc["info"];
    let title = info["title"].as_str().unwrap_or("API");
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:70rem;margin:0 auto;padding:1rem;line-height:1.4;color:#222}}\
         code{{background:#f3f3f3;padding:0 .2em;border-radius:3px}}\
         table{{border-collapse:collapse;margin:.5rem 0;width:100%}}\
         td,th{{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}}\
         section.op,section.schema{{border-top:1px solid #ccc;padding:.5rem 0}}\
         .m{{display:inline-block;min-width:4.5em;text-align:center;color:#fff;border-radius:3px;padding:0 .3em;font-size:.9em}}\
         .get{{background:#2b7bb9}}.post{{background:#2e8540}}.put{{background:#b36b00}}.patch{{background:#7a4eb3}}.delete{{background:#b32d2e}}\
         .summary{{font-weight:600}}nav li{{margin:.1rem 0}}\
         </style></head><body><h1>{t} <small>{v}</small></h1>\
         <p><a href=\"/v1/openapi.json\">OpenAPI document (JSON)</a></p>",
        t = esc(title),
        v = esc(info["version"].as_str().unwrap_or(""))
    );
    if let Some(d) = info["description"].as_str() {
        let _ = write!(out, "<p>{}</p>", text(d));
    }
    if let Some(Value::Object(schemes)) = doc.pointer("/components/securitySchemes") {
        out.push_str("<h2>Authentication</h2><ul>");
        for (name, s) in schemes {
            let _ = write!(
                out,
                "<li><code>{}</code>: {}</li>",
                esc(name),
                text(s.get("description").and_then(Value::as_str).unwrap_or(""))
            );
        }
        out.push_str("</ul>");
    }

    // Operations grouped by their first tag, in the order of the document's tags.
    let mut by_tag: BTreeMap<String, Vec<(&str, &str, &Value)>> = BTreeMap::new();
    if let Some(Value::Object(paths)) = doc.get("paths") {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    let tag = op
                        .pointer("/tags/0")
                        .and_then(Value::as_str)
                        .unwrap_or("other")
                        .to_owned();
                    by_tag.entry(tag).or_default().push((path, method, op));
                }
            }
        }
    }
    let mut tags: Vec<(String, String)> = doc["tags"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .filter_map(|t| {
                    Some((
                        t["name"].as_str()?.to_owned(),
                        t["description"].as_str().unwrap_or("").to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    for t in by_tag.keys() {
        if !tags.iter().any(|(n, _)| n == t) {
            tags.push((t.clone(), String::new()));
        }
    }

    out.push_str("<nav><h2>Contents</h2><ul>");
    for (tag, _) in &tags {
        let Some(ops) = by_tag.get(tag) else { continue };
        let _ = write!(
            out,
            "<li><a href=\"#{}\">{}</a><ul>",
            esc(&anchor("tag-", tag)),
            esc(tag)
        );
        for (path, method, op) in ops {
            let id = op.get("operationId").and_then(Value::as_str).unwrap_or("");
            let _ = write!(
                out,
                "<li><a href=\"#{}\"><span class=\"m {m}\">{}</span> <code>{}</code></a> {}</li>",
                esc(&anchor("op-", id)),
                esc(&method.to_ascii_uppercase()),
                esc(path),
                text(op.get("summary").and_then(Value::as_str).unwrap_or("")),
                m = esc(method)
            );
        }
        out.push_str("</ul></li>");
    }
    out.push_str("<li><a href=\"#schemas\">Schemas</a></li></ul></nav>");

    for (tag, description) in &tags {
        let Some(ops) = by_tag.get(tag) else { continue };
        let _ = write!(
            out,
            "<h2 id=\"{}\">{}</h2><p>{}</p>",
            esc(&anchor("tag-", tag)),
            esc(tag),
            text(description)
        );
        for (path, method, op) in ops {
            render_operation(&mut out, path, method, op);
        }
    }

    out.push_str("<h2 id=\"schemas\">Schemas</h2>");
    if let Some(Value::Object(schemas)) = doc.pointer("/components/schemas") {
        for (name, schema) in schemas {
            render_schema(&mut out, name, schema);
        }
    }
    out.push_str("</body></html>");
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::{json, Value};
    use time::macros::datetime;

    use super::*;

    /// Every route the routers register, written down by hand from the `routes()` functions of
    /// the modules `router()` merges.
    const ROUTES: &[(&str, &str)] = &[
        // schedules
        ("get", "/v1/schedules"),
        ("post", "/v1/schedules/{name}/pause"),
        ("post", "/v1/schedules/{name}/resume"),
        ("post", "/v1/schedules/{name}/trigger"),
        // admin
        ("get", "/v1/admin/session"),
        ("get", "/v1/admin/overview"),
        ("get", "/v1/admin/runs"),
        ("get", "/v1/admin/runs/{id}"),
        ("post", "/v1/admin/runs/{id}/retry"),
        ("post", "/v1/admin/runs/{id}/cancel"),
        ("post", "/v1/admin/runs/{id}/steps/{step_id}/retry-now"),
        ("post", "/v1/admin/runs/{id}/steps/{step_id}/skip"),
        ("post", "/v1/admin/partners/{partner_id}/republish"),
        ("post", "/v1/admin/bulk"),
        ("get", "/v1/admin/bulk/{id}"),
        ("get", "/v1/admin/audit"),
        ("get", "/v1/admin/schedules"),
        ("post", "/v1/admin/schedules/{name}/pause"),
        ("post", "/v1/admin/schedules/{name}/resume"),
        ("post", "/v1/admin/schedules/{name}/trigger"),
        ("get", "/v1/admin/events"),
        // console
        ("get", "/console"),
        ("get", "/console/assets/console.js"),
        ("get", "/console/assets/console.css"),
        ("get", "/console/login"),
        ("post", "/console/login"),
        ("post", "/console/logout"),
        ("get", "/console/runs"),
        ("get", "/console/runs/{id}"),
        ("get", "/console/bulk/{id}"),
        ("get", "/console/schedules"),
        ("get", "/console/audit"),
        // republish
        ("post", "/v1/admin/republish"),
        ("get", "/v1/admin/republish/{id}"),
        // credentials
        ("post", "/v1/partnermanager/partners/{partner_id}/bioextractors/{policy_id}"),
        ("get", "/v1/partnermanager/partners/{partner_id}/bioextractors/{policy_id}"),
        ("post", "/v1/partnermanager/partners/{partner_id}/credentialtype/{credential_type}/policies/{policy_name}"),
        ("get", "/v1/partnermanager/partners/{partner_id}/credentialtype/{credential_type}/policies"),
        // lookups
        ("put", "/v1/partnermanager/partners/email/verify"),
        ("get", "/v1/partnermanager/partners/apikey"),
        ("get", "/v1/partnermanager/partners/apikey/{request_id}"),
        ("get", "/v1/partnermanager/partners/{partner_id}/apikey/{api_key}"),
        ("get", "/v1/partnermanager/roles"),
        // search
        ("post", "/v1/partnermanager/partners/search"),
        ("post", "/v1/partnermanager/partners/partnertype/search"),
        ("post", "/v1/partnermanager/partners/filtervalues"),
        ("post", "/v1/partnermanager/partners/apikey/request/search"),
        (
            "post",
            "/v1/partnermanager/partners/apikey/request/filtervalues",
        ),
        ("post", "/v1/partnermanager/partners/apikey/search"),
        ("post", "/v1/partnermanager/misps/search"),
        ("post", "/v1/partnermanager/misps/filtervalues"),
        ("post", "/v1/policymanager/policies/group/search"),
        ("post", "/v1/policymanager/policies/group/filtervalues"),
        ("post", "/v1/policymanager/policies/search"),
        ("post", "/v1/policymanager/policies/filtervalues"),
        // pms
        ("post", "/v1/partnermanager/partners"),
        ("post", "/v1/partnermanager/partners/v2"),
        ("post", "/v1/partnermanager/partners/certificate/ca/upload"),
        ("post", "/v1/partnermanager/partners/certificate/upload"),
        (
            "get",
            "/v1/partnermanager/partners/{partner_id}/certificate",
        ),
        (
            "get",
            "/v1/partnermanager/partners/{partner_id}/originalPartnerCertificate",
        ),
        ("get", "/v1/partnermanager/partners/{partner_id}"),
        // policy
        ("post", "/v1/policymanager/policies/group/new"),
        ("get", "/v1/policymanager/policies/group/all"),
        ("put", "/v1/policymanager/policies/group/{group_id}"),
        ("get", "/v1/policymanager/policies/group/{group_id}"),
        ("post", "/v1/policymanager/policies"),
        ("get", "/v1/policymanager/policies"),
        ("put", "/v1/policymanager/policies/{policy_id}"),
        ("get", "/v1/policymanager/policies/{policy_id}"),
        (
            "post",
            "/v1/policymanager/policies/{policy_id}/group/{group_id}/publish",
        ),
        (
            "patch",
            "/v1/policymanager/policies/{policy_id}/group/{group_id}",
        ),
        (
            "get",
            "/v1/policymanager/policies/{policy_id}/partner/{partner_id}",
        ),
        (
            "get",
            "/v1/policymanager/policies/active/group/{group_name}",
        ),
        // partner_manager
        ("get", "/v1/partnermanager/partners"),
        ("get", "/v1/partnermanager/partners/v2"),
        ("put", "/v1/partnermanager/partners/{partner_id}"),
        ("patch", "/v1/partnermanager/partners/{partner_id}"),
        ("put", "/v1/partnermanager/partners/v2/{partner_id}"),
        (
            "post",
            "/v1/partnermanager/partners/{partner_id}/contact/add",
        ),
        (
            "put",
            "/v1/partnermanager/partners/{partner_id}/policygroup/{group_name}",
        ),
        (
            "post",
            "/v1/partnermanager/partners/{partner_id}/policy/map",
        ),
        ("put", "/v1/partnermanager/partners/policy/{mapping_key}"),
        (
            "get",
            "/v1/partnermanager/partners/{partner_id}/apikey/request",
        ),
        (
            "patch",
            "/v1/partnermanager/partners/{partner_id}/generate/apikey",
        ),
        (
            "patch",
            "/v1/partnermanager/partners/{partner_id}/policy/{policy_id}/apiKey/status",
        ),
        (
            "put",
            "/v1/partnermanager/partners/{partner_id}/apikey/{api_key}/policies",
        ),
        // misp
        ("post", "/v1/partnermanager/misps"),
        ("put", "/v1/partnermanager/misps"),
        ("get", "/v1/partnermanager/misps"),
        ("get", "/v1/partnermanager/misps/{misp_id}/licenseKey"),
        // native
        ("post", "/v1/onboardings"),
        ("get", "/v1/runs"),
        ("get", "/v1/runs/{id}"),
        ("get", "/v1/partners/{id}/certificates"),
        // oidc
        ("post", "/v1/partnermanager/oidc/client"),
        ("put", "/v1/partnermanager/oidc/client/{client_id}"),
        ("get", "/v1/partnermanager/oidc/client/{client_id}"),
        // openapi
        ("get", "/v1/openapi.json"),
        ("get", "/v1/docs"),
    ];

    /// The sources of the modules whose routers `router()` merges.
    const SOURCES: &[(&str, &str)] = &[
        ("pms", include_str!("pms.rs")),
        ("policy", include_str!("policy.rs")),
        ("partner_manager", include_str!("partner_manager.rs")),
        ("misp", include_str!("misp.rs")),
        ("oidc", include_str!("oidc.rs")),
        ("native", include_str!("native.rs")),
        ("search", include_str!("search.rs")),
        ("schedules", include_str!("schedules.rs")),
        ("republish", include_str!("republish.rs")),
        ("admin", include_str!("admin.rs")),
        ("console", include_str!("console.rs")),
        ("credentials", include_str!("credentials.rs")),
        ("lookups", include_str!("lookups.rs")),
        ("openapi", include_str!("openapi.rs")),
    ];

    fn doc() -> Value {
        serde_json::from_str(&document().0).expect("the served document is JSON")
    }

    fn listed() -> BTreeSet<(String, String)> {
        ROUTES
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect()
    }

    fn documented(doc: &Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, _) in item.as_object().expect("path item") {
                out.push((method.clone(), path.clone()));
            }
        }
        out
    }

    /// `(method, path)` of every `.route(...)` in the `routes()` function of `src`, read from
    /// the source (`let base = "..."` and `format!("{base}/...")` resolved).
    fn routes_in_source(src: &str) -> Vec<(String, String)> {
        let start = src
            .find("pub fn routes() -> Router<AppState> {")
            .expect("a routes() function");
        let body = &src[start..];
        let body = &body[..body.find("\n}\n").expect("end of routes()")];
        let literal = |s: &str| -> String {
            let open = s.find('"').expect("a string literal");
            let rest = &s[open + 1..];
            rest[..rest.find('"').expect("closing quote")].to_owned()
        };
        let base = body
            .find("let base = ")
            .map(|i| literal(&body[i..]))
            .unwrap_or_default();
        let mut out = Vec::new();
        for chunk in body.split(".route(").skip(1) {
            let path = if chunk.trim_start().starts_with("base") {
                base.clone()
            } else {
                literal(chunk)
                    .replace("{base}", &base)
                    .replace("{{", "{")
                    .replace("}}", "}")
            };
            let mut methods = 0;
            for method in ["get", "post", "put", "patch", "delete"] {
                let call = format!("{method}(");
                let mut from = 0;
                while let Some(i) = chunk[from..].find(&call) {
                    let at = from + i;
                    let prev = chunk[..at].chars().next_back();
                    if !prev.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        out.push((method.to_owned(), path.clone()));
                        methods += 1;
                    }
                    from = at + call.len();
                }
            }
            assert!(methods > 0, "no method found for route {path}");
        }
        out
    }

    #[test]
    fn document_is_openapi_3_and_serves_as_json() {
        let doc = doc();
        let version = doc["openapi"].as_str().expect("openapi version");
        assert!(version.starts_with("3."), "{version}");
        assert_eq!(doc["info"]["title"], "pmsflow API");
        // The typed document and the served text agree.
        assert_eq!(
            serde_json::to_value(ApiDoc::openapi()).expect("serialises"),
            doc
        );
    }

    #[test]
    fn routes_list_is_what_the_routers_register() {
        // `router()` merges exactly the modules read here.
        let lib = include_str!("lib.rs");
        let router = &lib[lib.find("pub fn router(").expect("router()")..];
        let merged: BTreeSet<&str> = router
            .split(".merge(")
            .skip(1)
            .map(|c| &c[..c.find("::routes()").expect("X::routes()")])
            .collect();
        let read: BTreeSet<&str> = SOURCES.iter().map(|(m, _)| *m).collect();
        assert_eq!(
            merged, read,
            "router() merges other modules than the test reads"
        );

        let mut from_source = Vec::new();
        for (module, src) in SOURCES {
            let routes = routes_in_source(src);
            assert!(!routes.is_empty(), "{module}: no route read");
            from_source.extend(routes);
        }
        let set: BTreeSet<_> = from_source.iter().cloned().collect();
        assert_eq!(set.len(), from_source.len(), "a route is registered twice");
        let expected = listed();
        let unlisted: Vec<_> = set.difference(&expected).collect();
        let unrouted: Vec<_> = expected.difference(&set).collect();
        assert!(
            unlisted.is_empty(),
            "routed but not in ROUTES: {unlisted:?}"
        );
        assert!(
            unrouted.is_empty(),
            "in ROUTES but not routed: {unrouted:?}"
        );
        assert_eq!(ROUTES.len(), listed().len(), "ROUTES lists a route twice");
    }

    #[test]
    fn every_route_is_documented_with_its_methods_and_nothing_else() {
        let doc = doc();
        let documented = documented(&doc);
        let set: BTreeSet<_> = documented.iter().cloned().collect();
        let expected = listed();
        let missing: Vec<_> = expected.difference(&set).collect();
        let extra: Vec<_> = set.difference(&expected).collect();
        assert!(
            missing.is_empty(),
            "routes without documentation: {missing:?}"
        );
        assert!(extra.is_empty(), "documented but not routed: {extra:?}");
        assert_eq!(documented.len(), ROUTES.len());
        assert!(documented.len() >= 40, "{} operations", documented.len());
    }

    #[test]
    fn operations_are_complete() {
        let doc = doc();
        let tags: BTreeSet<&str> = doc["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .filter_map(|t| t["name"].as_str())
            .collect();
        let mut ids = BTreeSet::new();
        for (method, path) in documented(&doc) {
            let op = &doc["paths"][&path][&method];
            let what = format!("{method} {path}");
            let id = op["operationId"].as_str().expect("operationId");
            assert!(
                ids.insert(id.to_owned()),
                "{what}: duplicate operationId {id}"
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{what}: no summary"
            );
            let tag = op["tags"][0].as_str().expect("a tag");
            assert!(tags.contains(tag), "{what}: unknown tag {tag}");
            // Path parameters are declared exactly.
            let in_path: BTreeSet<String> = path
                .split('{')
                .skip(1)
                .map(|s| s[..s.find('}').expect("}")].to_owned())
                .collect();
            let declared: BTreeSet<String> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap_or_default().to_owned())
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(in_path, declared, "{what}: path parameters");
            let responses = op["responses"].as_object().expect("responses");
            if tag == "docs" || tag == "console" {
                assert!(op.get("security").is_none(), "{what}: pages are public");
                continue;
            }
            let security = op["security"].as_array().expect("security");
            assert_eq!(
                security,
                &vec![json!({ BEARER: [] }), json!({ COOKIE: [] })],
                "{what}"
            );
            assert!(responses.contains_key("401"), "{what}: no 401");
            if path.starts_with("/v1/partnermanager") || path.starts_with("/v1/policymanager") {
                assert!(responses.contains_key("200"), "{what}: no 200");
                assert!(responses.contains_key("403"), "{what}: no 403");
                let ok = responses["200"]["description"].as_str().unwrap_or_default();
                assert!(
                    ok.contains("`response`"),
                    "{what}: 200 describes no payload"
                );
                assert_eq!(
                    responses["403"]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/PmsErrorEnvelope"
                );
                let body = &responses["200"]["content"]["application/json"]["schema"]["$ref"];
                assert!(
                    body.as_str()
                        .is_some_and(|r| r.starts_with("#/components/schemas/PmsResponse_")),
                    "{what}: 200 is not a PMS envelope"
                );
                if let Some(req) = op.get("requestBody") {
                    assert!(
                        req["content"]["application/json"]["schema"]["$ref"]
                            .as_str()
                            .is_some_and(|r| r.starts_with("#/components/schemas/PmsRequest_")),
                        "{what}: request is not a PMS envelope"
                    );
                }
            }
        }
        // Every PMS write with a body documents it (publish, group mapping and credential-type
        // mapping take their input from the path only).
        for (method, path) in ROUTES {
            let pms =
                path.starts_with("/v1/partnermanager") || path.starts_with("/v1/policymanager");
            if pms
                && matches!(*method, "post" | "put" | "patch")
                && !path.ends_with("/publish")
                && !path.contains("/policygroup/")
                && !path.contains("/credentialtype/")
            {
                assert!(
                    doc["paths"][path][method].get("requestBody").is_some(),
                    "{method} {path}: no request body"
                );
            }
        }
    }

    #[test]
    fn references_resolve_and_security_schemes_exist() {
        let doc = doc();
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
            match v {
                Value::Object(o) => {
                    if let Some(Value::String(r)) = o.get("$ref") {
                        out.push(r);
                    }
                    o.values().for_each(|v| refs(v, out));
                }
                Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > 100);
        for r in all {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("unexpected reference {r}"));
            assert!(schemas.contains_key(name), "dangling reference {r}");
        }
        // Envelopes name their payload.
        assert_eq!(
            schemas["PmsRequest_CaUpload"]["properties"]["request"]["$ref"],
            "#/components/schemas/CaUpload"
        );
        assert_eq!(
            schemas["PmsResponse_Vec_MispLicence"]["properties"]["response"]["items"]["$ref"],
            "#/components/schemas/MispLicence"
        );
        let schemes = doc["components"]["securitySchemes"]
            .as_object()
            .expect("schemes");
        assert_eq!(schemes[BEARER]["scheme"], "bearer");
        assert_eq!(schemes[COOKIE]["in"], "cookie");
        assert_eq!(schemes[COOKIE]["name"], "Authorization");
        // The v2 registration is documented as the v1 one.
        let v1 = &doc["paths"]["/v1/partnermanager/partners"]["post"];
        let v2 = &doc["paths"]["/v1/partnermanager/partners/v2"]["post"];
        assert_eq!(v1["requestBody"], v2["requestBody"]);
        assert_eq!(v2["operationId"], "register_v2");
    }

    fn property_names(doc: &Value, schema: &str) -> BTreeSet<String> {
        let s = &doc["components"]["schemas"][schema];
        let mut out = BTreeSet::new();
        let mut parts = vec![s];
        if let Some(all) = s["allOf"].as_array() {
            parts.extend(all);
        }
        for part in parts {
            if let Some(r) = part["$ref"].as_str() {
                out.extend(property_names(doc, r.rsplit('/').next().unwrap_or(r)));
            }
            if let Some(props) = part["properties"].as_object() {
                out.extend(props.keys().cloned());
            }
        }
        out
    }

    fn keys(v: &Value) -> BTreeSet<String> {
        v.as_object().expect("object").keys().cloned().collect()
    }

    #[test]
    fn schemas_mirror_what_the_handlers_send() {
        use pmsflow_store::{
            policies::{PolicyGroupRow, PolicyRow},
            runs::{AttemptView, RunDetail, RunPage, RunSummary, StepView},
        };
        let doc = doc();
        let at = datetime!(2026-01-02 03:04:05 UTC);
        let group = PolicyGroupRow {
            id: "g".into(),
            name: "group".into(),
            descr: "d".into(),
            is_active: true,
            cr_by: "admin".into(),
            cr_dtimes: at,
            upd_by: None,
            upd_dtimes: None,
        };
        let policy = PolicyRow {
            id: "p".into(),
            policy_group_id: "g".into(),
            policy_group_name: "group".into(),
            name: "policy".into(),
            descr: "d".into(),
            policy_file_id: json!({}),
            policy_type: "Auth".into(),
            version: "1.0".into(),
            policy_schema: None,
            valid_from_date: at,
            valid_to_date: at,
            is_active: false,
            cr_by: "admin".into(),
            cr_dtimes: at,
            upd_by: None,
            upd_dtimes: None,
        };
        assert_eq!(
            keys(&crate::policy::group_json(&group)),
            property_names(&doc, "PolicyGroup")
        );
        assert_eq!(
            keys(&crate::policy::group_entity_json(&group)),
            property_names(&doc, "PolicyGroupEntity")
        );
        assert_eq!(
            keys(&crate::policy::policy_json(&policy, &group)),
            property_names(&doc, "PolicyResponseDto")
        );

        let summary = RunSummary {
            id: Uuid::nil(),
            kind: "onboarding".into(),
            version: 1,
            subject: Some("p".into()),
            status: "running".into(),
            error_code: None,
            error_message: None,
            created_by: "p".into(),
            created_at: at,
            finished_at: None,
        };
        let detail = RunDetail {
            run: summary.clone(),
            input: json!({}),
            steps: vec![StepView {
                id: Uuid::nil(),
                key: "validate".into(),
                seq: 1,
                status: "succeeded".into(),
                required: true,
                attempt: 1,
                max_attempts: 3,
                next_attempt_at: None,
                output: None,
                last_error: None,
                started_at: Some(at),
                finished_at: Some(at),
                attempts: vec![AttemptView {
                    attempt: 1,
                    outcome: "succeeded".into(),
                    error: None,
                    worker: None,
                    started_at: Some(at),
                    finished_at: at,
                }],
            }],
        };
        let detail = serde_json::to_value(&detail).expect("serialises");
        assert_eq!(keys(&detail), property_names(&doc, "RunDetail"));
        assert_eq!(keys(&detail["steps"][0]), property_names(&doc, "StepView"));
        assert_eq!(
            keys(&detail["steps"][0]["attempts"][0]),
            property_names(&doc, "AttemptView")
        );
        let page = serde_json::to_value(RunPage {
            runs: vec![summary],
            next_cursor: None,
        })
        .expect("serialises");
        assert_eq!(keys(&page), property_names(&doc, "RunPage"));
        assert_eq!(keys(&page["runs"][0]), property_names(&doc, "RunSummary"));
    }

    #[test]
    fn html_escapes_and_marks_code() {
        assert_eq!(
            esc("<a href='x'>\"&\""),
            "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;"
        );
        assert_eq!(
            text("use `<b>` & **go**\n\nnext"),
            "use <code>&lt;b&gt;</code> &amp; <b>go</b><br><br>next"
        );
        assert_eq!(anchor("op-", "a_b c/{d}"), "op-a_b-c--d-");
        // Hostile text in a document stays text.
        let page = render_html(&json!({
            "info": {"title": "<script>alert(1)</script>", "version": "1"},
            "paths": {"/x/{id}": {"get": {
                "operationId": "x\"><img>", "summary": "<i>s</i>", "tags": ["t"],
                "responses": {"200": {"description": "ok"}}
            }}},
        }));
        assert!(!page.contains("<script>") && !page.contains("<img>") && !page.contains("<i>"));
        assert!(page.contains("&lt;script&gt;"));
    }

    #[test]
    fn html_page_lists_every_operation_and_schema() {
        let doc = doc();
        let page = &document().1;
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(!page.contains("<script"), "the page runs no script");
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "no external asset"
        );
        for (method, path) in documented(&doc) {
            let id = doc["paths"][&path][&method]["operationId"]
                .as_str()
                .unwrap_or("");
            assert!(
                page.contains(&format!("id=\"{}\"", esc(&anchor("op-", id)))),
                "{method} {path} is not on the page"
            );
            assert!(page.contains(&format!("<code>{}</code>", esc(&path))));
        }
        for name in doc["components"]["schemas"]
            .as_object()
            .expect("schemas")
            .keys()
        {
            assert!(
                page.contains(&format!("id=\"{}\"", anchor("schema-", name))),
                "{name}"
            );
        }
        for tag in ["partners", "policies", "misp", "runs"] {
            assert!(page.contains(&format!("id=\"tag-{tag}\"")), "{tag}");
        }
    }

    #[tokio::test]
    async fn handlers_serve_the_document_and_the_page() {
        let r = openapi_json().await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        let body = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .expect("body");
        let served: Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(served, doc());

        let r = docs_page().await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        assert!(r.headers().contains_key(header::CONTENT_SECURITY_POLICY));
        let body = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .expect("body");
        assert_eq!(std::str::from_utf8(&body).expect("UTF-8"), document().1);
    }
}
