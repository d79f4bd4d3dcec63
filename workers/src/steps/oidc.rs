//! Steps of an OIDC client run ([`pmsflow_core::oidc::ClientRunInput`]): the eSignet call, the
//! local record, then the effects steps (event, audit) of the same input.

use pmsflow_core::{
    effects::EffectsInput,
    failure::StepFailure,
    oidc::{ClientOperation, ClientRunInput},
    workflow::steps,
};
use pmsflow_store::{
    domain_write::DomainWrite,
    engine::Claimed,
    oidc_clients::{ClientUpdate, OidcWrite},
};
use serde_json::json;

use super::{effects, ErasedStep, Step, StepContext, StepDone, StepKey};
use crate::mosip::esignet::DUPLICATE_CLIENT_ID;

/// The steps of an OIDC client run: its own, then the effects steps reading the run input's
/// effects part.
pub(super) const STEPS: &[&dyn ErasedStep] = &[
    &CreateClient,
    &UpdateClient,
    &ActivateClient,
    &ApplyClientUpdate,
    &ClientEffect(effects::Publish),
    &ClientEffect(effects::Email),
    &ClientEffect(effects::AuditRecord),
];

fn wrong_operation(step: &Claimed) -> StepFailure {
    StepFailure::permanent(
        pmsflow_core::codes::PMSFLOW_UNKNOWN_STEP,
        format!("step {} does not match the run's operation", step.step_key),
    )
}

/// `esignet.create_client`: create the client in eSignet; a `duplicate_client_id` (an earlier
/// attempt, or PMS, created it) is reconciled by updating it to this record.
pub(super) struct CreateClient;

impl Step for CreateClient {
    const KEY: StepKey = StepKey::Exact(steps::ESIGNET_CREATE_CLIENT);
    const LOCAL: bool = false;
    type Input = ClientRunInput;

    async fn run(
        &self,
        input: ClientRunInput,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
        let ClientOperation::Create { client } = &input.operation else {
            return Err(wrong_operation(ctx.step));
        };
        let esignet = &ctx.clients.esignet;
        match esignet.create_client(client, ctx.effect_key()).await {
            Ok(r) => Ok(StepDone::output(
                json!({"clientId": r.client_id, "status": r.status, "reconciled": false}),
            )),
            // An earlier attempt (or PMS) created it: make eSignet match this record.
            Err(f) if f.code == DUPLICATE_CLIENT_ID => {
                let r = esignet
                    .update_client(&client.client_id, &client.as_update(), ctx.effect_key())
                    .await?;
                Ok(StepDone::output(
                    json!({"clientId": r.client_id, "status": r.status, "reconciled": true}),
                ))
            }
            Err(f) => Err(f),
        }
    }
}

/// `esignet.update_client`: update the client in eSignet.
pub(super) struct UpdateClient;

impl Step for UpdateClient {
    const KEY: StepKey = StepKey::Exact(steps::ESIGNET_UPDATE_CLIENT);
    const LOCAL: bool = false;
    type Input = ClientRunInput;

    async fn run(
        &self,
        input: ClientRunInput,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
        let ClientOperation::Update { client } = &input.operation else {
            return Err(wrong_operation(ctx.step));
        };
        let r = ctx
            .clients
            .esignet
            .update_client(&input.client_id, client, ctx.effect_key())
            .await?;
        Ok(StepDone::output(
            json!({"clientId": r.client_id, "status": r.status}),
        ))
    }
}

/// `oidc.activate`: mark the reserved client `ACTIVE` ([`DomainWrite::OidcClient`], local).
pub(super) struct ActivateClient;

impl Step for ActivateClient {
    const KEY: StepKey = StepKey::Exact(steps::ACTIVATE_CLIENT);
    const LOCAL: bool = true;
    type Input = ClientRunInput;

    async fn run(
        &self,
        input: ClientRunInput,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
        let ClientOperation::Create { .. } = &input.operation else {
            return Err(wrong_operation(ctx.step));
        };
        Ok(StepDone::with_write(
            json!({"clientId": input.client_id, "status": "ACTIVE"}),
            DomainWrite::OidcClient(OidcWrite::Activate {
                client_id: input.client_id.clone(),
            }),
        ))
    }
}

/// `oidc.apply_update`: store the update eSignet took ([`DomainWrite::OidcClient`], local).
pub(super) struct ApplyClientUpdate;

impl Step for ApplyClientUpdate {
    const KEY: StepKey = StepKey::Exact(steps::APPLY_CLIENT_UPDATE);
    const LOCAL: bool = true;
    type Input = ClientRunInput;

    async fn run(
        &self,
        input: ClientRunInput,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
        let ClientOperation::Update { client } = &input.operation else {
            return Err(wrong_operation(ctx.step));
        };
        Ok(StepDone::with_write(
            json!({"clientId": input.client_id, "status": client.status}),
            DomainWrite::OidcClient(OidcWrite::Update {
                client_id: input.client_id.clone(),
                update: ClientUpdate {
                    name: client.client_name.clone(),
                    logo_uri: client.logo_uri.clone(),
                    redirect_uris: client.redirect_uris.clone(),
                    status: client.status.clone(),
                    grant_types: client.grant_types.clone(),
                    auth_methods: client.client_auth_methods.clone(),
                },
            }),
        ))
    }
}

/// An effects step in an OIDC client run: the same step, reading the effects part of the
/// client run's input (the whole input must be a valid [`ClientRunInput`]).
pub(super) struct ClientEffect<S>(S);

impl<S: Step<Input = EffectsInput>> Step for ClientEffect<S> {
    const KEY: StepKey = S::KEY;
    const LOCAL: bool = S::LOCAL;
    type Input = ClientRunInput;

    async fn run(
        &self,
        input: ClientRunInput,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
        self.0.run(input.effects, ctx).await
    }
}
