//! Steps of an OIDC client run ([`pmsflow_core::oidc::ClientRunInput`]): the eSignet call, the
//! local record, then the effects steps (event, audit) of the same input.

use pmsflow_core::{
    failure::StepFailure,
    oidc::{ClientOperation, ClientRunInput},
    workflow::steps,
};
use pmsflow_store::{
    engine::Claimed,
    oidc_clients::{ClientUpdate, OidcWrite},
};
use serde_json::json;

use super::{effects, DbWrite, StepDone, StepSettings};
use crate::mosip::{esignet::DUPLICATE_CLIENT_ID, MosipClients};

fn input(step: &Claimed) -> Result<ClientRunInput, StepFailure> {
    serde_json::from_value(step.input.clone())
        .map_err(|e| StepFailure::permanent("PMS_COR_002", format!("run input is not valid: {e}")))
}

fn wrong_operation(step: &Claimed) -> StepFailure {
    StepFailure::permanent(
        "PMSFLOW_UNKNOWN_STEP",
        format!("step {} does not match the run's operation", step.step_key),
    )
}

/// Run step `step` of an OIDC client run.
pub(super) async fn run(
    step: &Claimed,
    clients: &MosipClients,
    settings: &StepSettings,
) -> Result<StepDone, StepFailure> {
    let input = input(step)?;
    let effect = Some(step.effect_key.as_str());
    match (step.step_key.as_str(), &input.operation) {
        (steps::ESIGNET_CREATE_CLIENT, ClientOperation::Create { client }) => {
            match clients.esignet.create_client(client, effect).await {
                Ok(r) => Ok(StepDone::output(
                    json!({"clientId": r.client_id, "status": r.status, "reconciled": false}),
                )),
                // An earlier attempt (or PMS) created it: make eSignet match this record.
                Err(f) if f.code == DUPLICATE_CLIENT_ID => {
                    let r = clients
                        .esignet
                        .update_client(&client.client_id, &client.as_update(), effect)
                        .await?;
                    Ok(StepDone::output(
                        json!({"clientId": r.client_id, "status": r.status, "reconciled": true}),
                    ))
                }
                Err(f) => Err(f),
            }
        }
        (steps::ESIGNET_UPDATE_CLIENT, ClientOperation::Update { client }) => {
            let r = clients
                .esignet
                .update_client(&input.client_id, client, effect)
                .await?;
            Ok(StepDone::output(
                json!({"clientId": r.client_id, "status": r.status}),
            ))
        }
        (steps::ACTIVATE_CLIENT, ClientOperation::Create { .. }) => Ok(StepDone {
            output: json!({"clientId": input.client_id, "status": "ACTIVE"}),
            write: Some(DbWrite::Oidc(OidcWrite::Activate {
                client_id: input.client_id.clone(),
            })),
        }),
        (steps::APPLY_CLIENT_UPDATE, ClientOperation::Update { client }) => Ok(StepDone {
            output: json!({"clientId": input.client_id, "status": client.status}),
            write: Some(DbWrite::Oidc(OidcWrite::Update {
                client_id: input.client_id.clone(),
                update: ClientUpdate {
                    name: client.client_name.clone(),
                    logo_uri: client.logo_uri.clone(),
                    redirect_uris: client.redirect_uris.clone(),
                    status: client.status.clone(),
                    grant_types: client.grant_types.clone(),
                    auth_methods: client.client_auth_methods.clone(),
                },
            })),
        }),
        (
            steps::ESIGNET_CREATE_CLIENT
            | steps::ESIGNET_UPDATE_CLIENT
            | steps::ACTIVATE_CLIENT
            | steps::APPLY_CLIENT_UPDATE,
            _,
        ) => Err(wrong_operation(step)),
        _ => effects::run(step, clients, settings).await,
    }
}
