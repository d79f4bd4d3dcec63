//! eSignet OIDC clients (PMS `ClientManagementController`, `/v1/partnermanager/oidc/client`;
//! mosip-pms.md §4.4 #40–#42, §6.6; mosip-contracts.md §2.5).
//!
//! - `POST /oidc/client`: PMS's checks in PMS's order, the claims and ACRs derived from the
//!   auth policy ([`pmsflow_core::oidc::derive`]), then, in one transaction, the local record
//!   (`PENDING`) and an `oidc_client` run: eSignet create → `ACTIVE` → `OIDC_CLIENT_CREATED` →
//!   audit. The record exists before eSignet is called, so a failure at any later step leaves
//!   no client in eSignet that pmsflow does not know; a retry of the run reconciles eSignet's
//!   `duplicate_client_id`. Waits for the run up to `api.certificate_upload_wait_ms`, else
//!   `PMSFLOW_RUN_PENDING` with the run id.
//! - `PUT /oidc/client/{clientId}`: an `oidc_client` run: eSignet update (its HTTP-200 errors
//!   are errors, unlike PMS 1.2.0.1) → the record → `OIDC_CLIENT_UPDATED` → audit.
//! - `GET /oidc/client/{clientId}`: the record.
//!
//! PMS 1.2.0.1 leaves these endpoints without role checks; pmsflow applies the role lists
//! `postoidcclient` / `putoidcclient` / `getoidcclient`, and a partner acts only on its own
//! clients (`PMS_PRT_055`).

use pmsflow_core::codes;
use utoipa_axum::{router::OpenApiRouter, routes};

use axum::extract::{Path, State};
use pmsflow_core::{
    effects::{Audit, EffectsInput, TopicEvent},
    events,
    oidc::{
        self, ClientDetailCreateRequest, ClientDetailUpdateRequest, ClientOperation, ClientRunInput,
    },
    workflow::WorkflowKind,
};
use pmsflow_store::{oidc_clients, partner_policies, partners, policies, runs};
use serde_json::{json, Value};

use crate::access::PmsCaller;
use crate::access::RoleKey;
use crate::error::PmsError;
use crate::pms::envelope::{envelope, ok, PmsResult};
use crate::pms::guard::own;
use crate::pms::views::partner_data;
use crate::services::run_wait::wait_and_fail;
use crate::state::AppState;

/// Routes under `/v1/partnermanager/oidc/client`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(update, get_client))
}

fn client_missing() -> PmsError {
    PmsError::of(codes::PMS_IDP_004)
}

/// Register an OIDC client in eSignet for an auth partner.
///
/// `POST /oidc/client` (`ClientManagementServiceImpl#createOIDCClient`): body
/// `ClientDetailCreateRequest{name, policyId, publicKey (JWK), authPartnerId, logoUri,
/// redirectUris, grantTypes, clientAuthMethods}`; answers `{clientId, status: "ACTIVE"}` once
/// the client run completed (eSignet create, `OIDC_CLIENT_CREATED`, audit). clientId =
/// base64url(SHA-256(JWK JSON)).
#[utoipa::path(
    post,
    path = "/v1/partnermanager/oidc/client",
    tag = "oidc",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::OidcClientCreate>,
    responses(
        (status = 200, description = "`response`: `{clientId, status}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (bean validation), `PMS_COR_002` (publicKey is not an RSA JWK), `PMS_IDP_001` (a client with this public key exists), `PMS_PRT_055` (another partner), `PMS_PRT_058` (unknown partner), `PMS_PRT_059` (not an Auth_Partner), `PMS_PRT_073` (unknown policy), `PMS_PRT_057` (not an Auth policy), `PMS_PRT_061` (no mapping), `PMS_IDP_002` (mapping not approved), `PMS_IDP_005` (no claims or no ACRs), `PMS_IDP_003` (mandatory auth type), `PMS_KKS_001` (eSignet discovery unreachable), eSignet's codes from the run (`invalid_redirect_uri`, `duplicate_public_key`...), `PMSFLOW_RUN_PENDING` (still running: follow `/v1/runs/{id}`).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::OidcClientStatus>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn create(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check(RoleKey::PostOidcClient, &caller)?;
    let req: pmsflow_core::envelope::RequestWrapper<ClientDetailCreateRequest> = envelope(&body)?;
    let r = &req.request;
    r.validate()?;
    let key = r
        .canonical_public_key()
        .map_err(pmsflow_core::envelope::ServiceError::from)?;
    let client_id = key.client_id();
    let partner_id = r.auth_partner_id.clone().unwrap_or_default();
    let policy_id = r.policy_id.clone().unwrap_or_default();
    own(&caller, &partner_id)?;
    let mut conn = state.pool.acquire().await?;
    if oidc_clients::is_live(&mut *conn, &client_id).await? {
        return Err(PmsError::of(codes::PMS_IDP_001));
    }
    let Some(partner) = partners::partner_detail(&mut conn, &partner_id, false).await? else {
        return Err(PmsError::new(
            codes::PMS_PRT_058,
            format!("AuthPartner doesn't exists with this Id - {partner_id}."),
        ));
    };
    if !partner
        .partner_type_code
        .eq_ignore_ascii_case("Auth_Partner")
    {
        return Err(PmsError::new(
            codes::PMS_PRT_059,
            format!(
                "Only Auth_partner can Create OIDC Client. {} is not allowed to create OIDC Client.",
                partner.partner_type_code
            ),
        ));
    }
    let Some(policy) = policies::policy(&mut conn, &policy_id, false).await? else {
        return Err(PmsError::of(codes::PMS_PRT_073));
    };
    if !policy.policy_type.eq_ignore_ascii_case("Auth") {
        return Err(PmsError::of(codes::PMS_PRT_057));
    }
    let Some(mapping) = partner_policies::first_request(&mut conn, &partner_id, &policy_id).await?
    else {
        return Err(PmsError::of(codes::PMS_PRT_061));
    };
    if !mapping.status_code.eq_ignore_ascii_case("approved") {
        return Err(PmsError::of(codes::PMS_IDP_002));
    }
    let claims_supported = state.esignet.claims_supported().await?;
    let derived = oidc::derive(
        &policy.policy_file_id,
        &state.esignet.mappings,
        &claims_supported,
    )
    .map_err(pmsflow_core::envelope::ServiceError::from)?;
    let client = oidc::create_body(r, &key, &derived);

    let client_data = events::oidc_client_data(
        &client.client_id,
        &client.client_name,
        "ACTIVE",
        &client.user_claims,
        &client.auth_context_refs,
        &client.client_auth_methods,
    );
    let effects = EffectsInput::default()
        .event(TopicEvent::new(
            events::OIDC_CLIENT_CREATED,
            events::CLIENT_MANAGEMENT,
            events::oidc_client_created_data(
                partner_data(&mut conn, &partner, partner.is_active).await?,
                &policy.event_data(),
                client_data,
            ),
        ))
        .audit(Audit::new(
            "PMS_PRT_301",
            "CREATE_CLIENT",
            "OIDC client created",
            &client.client_id,
            "clientId",
        ));
    drop(conn);
    let record = oidc_clients::NewClient {
        id: client.client_id.clone(),
        name: client.client_name.clone(),
        rp_id: partner.id.clone(),
        policy_id: policy.id.clone(),
        logo_uri: client.logo_uri.clone(),
        redirect_uris: client.redirect_uris.clone(),
        claims: client.user_claims.clone(),
        acr_values: client.auth_context_refs.clone(),
        public_key: key.as_json().to_owned(),
        grant_types: client.grant_types.clone(),
        auth_methods: client.client_auth_methods.clone(),
    };
    let input = ClientRunInput {
        client_id: client_id.clone(),
        operation: ClientOperation::Create { client },
        effects,
    };
    let mut tx = state.pool.begin().await?;
    let created = runs::create_run(
        &mut tx,
        client_run(&state, &caller.user_id, &partner.id, &input)?,
    )
    .await?;
    if !oidc_clients::reserve(&mut tx, &record, created.run_id, &caller.user_id).await? {
        tx.rollback().await?;
        return Err(PmsError::of(codes::PMS_IDP_001));
    }
    tx.commit().await?;
    wait_and_fail(&state, created.run_id).await?;
    ok(
        req.id,
        req.version,
        json!({"clientId": client_id, "status": "ACTIVE"}),
    )
}

/// The run of `input`, about partner `partner_id`: runs of one client start one at a time in
/// commit order (ordering key `oidc:<clientId>`), so an update never overtakes the creation.
fn client_run(
    state: &AppState,
    by: &str,
    partner_id: &str,
    input: &ClientRunInput,
) -> Result<runs::NewRun, PmsError> {
    Ok(runs::NewRun {
        kind: WorkflowKind::OidcClient,
        subject: Some(partner_id.to_owned()),
        input: serde_json::to_value(input).map_err(|e| PmsError::Internal(e.to_string()))?,
        idempotency_key: None,
        created_by: by.to_owned(),
        owner_partner_id: Some(partner_id.to_owned()),
        steps: oidc::client_steps(input, &state.budgets),
        ordering_key: Some(format!("oidc:{}", input.client_id)),
    })
}

/// Update an OIDC client.
///
/// `PUT /oidc/client/{clientId}` (`ClientManagementServiceImpl#updateOIDCClient`): body
/// `ClientDetailUpdateRequest{logoUri, redirectUris, status, grantTypes, clientName,
/// clientAuthMethods}`; claims and ACRs are re-sent as stored. Answers `{clientId, status}`
/// once the run completed (eSignet update, record, `OIDC_CLIENT_UPDATED`, audit).
#[utoipa::path(
    put,
    path = "/v1/partnermanager/oidc/client/{client_id}",
    tag = "oidc",
    params(("client_id" = String, Path, description = "Client id")),
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::OidcClientUpdate>,
    responses(
        (status = 200, description = "`response`: `{clientId, status}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (bean validation), `PMS_IDP_004` (unknown client), `PMS_PRT_055` (another partner's client), eSignet's codes from the run (`invalid_redirect_uri`, `invalid_client_id`...), `PMSFLOW_RUN_PENDING` (still running: follow `/v1/runs/{id}`).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::OidcClientStatus>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn update(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(client_id): Path<String>,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check(RoleKey::PutOidcClient, &caller)?;
    let req: pmsflow_core::envelope::RequestWrapper<ClientDetailUpdateRequest> = envelope(&body)?;
    let r = &req.request;
    r.validate()?;
    let Some(stored) = oidc_clients::client(&state.pool, &client_id).await? else {
        return Err(client_missing());
    };
    own(&caller, &stored.rp_id)?;
    let client = oidc::update_body(r, &stored.claims, &stored.acr_values);
    let effects = EffectsInput::default()
        .event(TopicEvent::new(
            events::OIDC_CLIENT_UPDATED,
            events::CLIENT_MANAGEMENT,
            json!({"clientData": events::oidc_client_data(
                &client_id,
                &client.client_name,
                &client.status,
                &client.user_claims,
                &client.auth_context_refs,
                &client.client_auth_methods,
            )}),
        ))
        .audit(Audit::new(
            "PMS_PRT_304",
            "UPDATE_CLIENT",
            "OIDC client updated",
            &client_id,
            "clientId",
        ));
    let status = client.status.clone();
    let input = ClientRunInput {
        client_id: client_id.clone(),
        operation: ClientOperation::Update { client },
        effects,
    };
    let mut tx = state.pool.begin().await?;
    let created = runs::create_run(
        &mut tx,
        client_run(&state, &caller.user_id, &stored.rp_id, &input)?,
    )
    .await?;
    if !oidc_clients::mark_updating(&mut tx, &client_id, created.run_id, &caller.user_id).await? {
        tx.rollback().await?;
        return Err(client_missing());
    }
    tx.commit().await?;
    wait_and_fail(&state, created.run_id).await?;
    ok(
        req.id,
        req.version,
        json!({"clientId": client_id, "status": status}),
    )
}

/// Get an OIDC client.
///
/// `GET /oidc/client/{clientId}`: `{id, name, policyId, policyName, relyingPartyId, logoUri,
/// redirectUris, publicKey, claims, acrValues, status, grantTypes, clientAuthMethods}`;
/// `status` is `PENDING` while the creation run has not finished.
#[utoipa::path(
    get,
    path = "/v1/partnermanager/oidc/client/{client_id}",
    tag = "oidc",
    params(("client_id" = String, Path, description = "Client id")),
    responses(
        (status = 200, description = "`response`: the client. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_IDP_004` (unknown client), `PMS_PRT_055` (another partner's client).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::OidcClientView>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn get_client(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(client_id): Path<String>,
) -> PmsResult {
    state.roles.check(RoleKey::GetOidcClient, &caller)?;
    let Some(c) = oidc_clients::client(&state.pool, &client_id).await? else {
        return Err(client_missing());
    };
    own(&caller, &c.rp_id)?;
    let public_key: Value = serde_json::from_str(&c.public_key).unwrap_or(Value::Null);
    ok(
        None,
        None,
        json!({
            "id": c.id,
            "name": c.name,
            "policyId": c.policy_id,
            "policyName": c.policy_name,
            "relyingPartyId": c.rp_id,
            "logoUri": c.logo_uri,
            "redirectUris": c.redirect_uris,
            "publicKey": public_key,
            "claims": c.claims,
            "acrValues": c.acr_values,
            "status": c.status,
            "grantTypes": c.grant_types,
            "clientAuthMethods": c.auth_methods,
        }),
    )
}
