//! What a re-publication replays ([`pmsflow_core::republish`]): the selected partners, and for
//! one partner the events its current state gives, built with the same event shapes as the
//! live changes.

use pmsflow_core::{events, republish::Selection};
use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::{licences, oidc_clients, partner_policies, partners, policies};

/// Why a selection is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// No partner with this id.
    Partner(String),
    /// No partner type with this code.
    PartnerType(String),
}

/// The partner ids of `selection`, sorted; `Err` when the partner or partner type does not
/// exist (a type without partners is an empty list).
pub async fn select(
    conn: &mut PgConnection,
    selection: &Selection,
) -> Result<Result<Vec<String>, Unknown>, sqlx::Error> {
    Ok(match selection {
        Selection::Partner { partner_id } => {
            if partners::partner_exists(conn, partner_id).await? {
                Ok(vec![partner_id.clone()])
            } else {
                Err(Unknown::Partner(partner_id.clone()))
            }
        }
        Selection::PartnerType { partner_type } => {
            match partners::partner_type(conn, partner_type).await? {
                None => Err(Unknown::PartnerType(partner_type.clone())),
                Some(t) => Ok(sqlx::query_scalar(
                    "SELECT id FROM partner WHERE partner_type_code = $1 ORDER BY id",
                )
                .bind(&t.code)
                .fetch_all(&mut *conn)
                .await?),
            }
        }
        Selection::All => Ok(sqlx::query_scalar("SELECT id FROM partner ORDER BY id")
            .fetch_all(&mut *conn)
            .await?),
    })
}

/// One event to replay.
#[derive(Debug, Clone, PartialEq)]
pub enum Replay {
    /// Publish `data` on `topic`.
    Event {
        /// Topic.
        topic: &'static str,
        /// `event.data`.
        data: Value,
    },
    /// `CA_CERTIFICATE_UPLOADED`: share `certificate_pem` through datashare first, then
    /// publish its URL with `partner_domain`.
    CaCertificate {
        /// The MOSIP-signed certificate, PEM (what the certificate run shared).
        certificate_pem: String,
        /// `AUTH`, `DEVICE`, `FTM`...
        partner_domain: String,
    },
}

impl Replay {
    /// The topic.
    pub fn topic(&self) -> &'static str {
        match self {
            Self::Event { topic, .. } => topic,
            Self::CaCertificate { .. } => events::CA_CERTIFICATE_UPLOADED,
        }
    }
}

/// What `partner_id` has to replay on `topics` (in [`REPLAYABLE_TOPICS`] order, filtered):
/// `PARTNER_UPDATED` and `CA_CERTIFICATE_UPLOADED` when it has a certificate, one
/// `APIKEY_APPROVED` per active API key, one `MISP_LICENSE_GENERATED` per active licence
/// (`mispStatus` as of `now`), one `OIDC_CLIENT_CREATED` per client that is not `PENDING`.
/// Empty for a partner that no longer exists.
///
/// [`REPLAYABLE_TOPICS`]: pmsflow_core::republish::REPLAYABLE_TOPICS
pub async fn partner_replays(
    conn: &mut PgConnection,
    partner_id: &str,
    topics: &[String],
    now: OffsetDateTime,
) -> Result<Vec<Replay>, sqlx::Error> {
    let Some(p) = partners::partner_detail(conn, partner_id, false).await? else {
        return Ok(Vec::new());
    };
    let wants = |t: &str| topics.iter().any(|x| x == t);
    let certificate: Option<(String, String)> = sqlx::query_as(
        "SELECT c.signed_pem, c.partner_domain FROM partner p
           JOIN partner_certificate c ON c.partner_id = p.id AND c.certificate_id = p.certificate_alias
          WHERE p.id = $1 ORDER BY c.uploaded_at DESC LIMIT 1",
    )
    .bind(partner_id)
    .fetch_optional(&mut *conn)
    .await?;
    let pem = certificate
        .as_ref()
        .map(|(pem, _)| pem.as_str())
        .unwrap_or("");
    let partner_data =
        || events::partner_updated_data(&p.id, &p.name, pem, p.is_active)["partnerData"].take();
    let mut out = Vec::new();
    if let Some((pem, domain)) = &certificate {
        if wants(events::PARTNER_UPDATED) {
            out.push(Replay::Event {
                topic: events::PARTNER_UPDATED,
                data: events::partner_updated_data(&p.id, &p.name, pem, p.is_active),
            });
        }
        if wants(events::CA_CERTIFICATE_UPLOADED) {
            out.push(Replay::CaCertificate {
                certificate_pem: pem.clone(),
                partner_domain: domain.clone(),
            });
        }
    }
    if wants(events::APIKEY_APPROVED) {
        for key in partner_policies::keys_of(conn, partner_id).await? {
            if !key.is_active {
                continue;
            }
            let Some(policy) = policies::policy(conn, &key.policy_id, false).await? else {
                continue;
            };
            out.push(Replay::Event {
                topic: events::APIKEY_APPROVED,
                data: events::api_key_approved_data(
                    partner_data(),
                    &policy.event_data(),
                    events::api_key_data(
                        &key.policy_api_key,
                        key.valid_from_datetime,
                        key.valid_to_datetime,
                        true,
                    ),
                ),
            });
        }
    }
    if wants(events::MISP_LICENSE_GENERATED) {
        for licence in licences::of_misp(conn, partner_id, false).await? {
            if !licence.is_active {
                continue;
            }
            let policy = match &licence.policy_id {
                Some(id) => policies::policy(conn, id, false).await?,
                None => None,
            };
            out.push(Replay::Event {
                topic: events::MISP_LICENSE_GENERATED,
                data: events::misp_license_event_data(
                    events::misp_license_data(
                        &licence.misp_id,
                        &licence.license_key,
                        licence.valid_from_date,
                        licence.valid_to_date,
                        licence.is_usable(now),
                    ),
                    policy
                        .as_ref()
                        .map(policies::PolicyRow::event_data)
                        .as_ref(),
                ),
            });
        }
    }
    if wants(events::OIDC_CLIENT_CREATED) {
        for client in oidc_clients::clients_of(&mut *conn, partner_id).await? {
            if client.status == "PENDING" {
                continue;
            }
            let Some(policy) = policies::policy(conn, &client.policy_id, false).await? else {
                continue;
            };
            out.push(Replay::Event {
                topic: events::OIDC_CLIENT_CREATED,
                data: events::oidc_client_created_data(
                    partner_data(),
                    &policy.event_data(),
                    events::oidc_client_data(
                        &client.id,
                        &client.name,
                        &client.status,
                        &client.claims,
                        &client.acr_values,
                        &client.auth_methods,
                    ),
                ),
            });
        }
    }
    Ok(out)
}

/// Partners done and total of a re-publication run: the sizes of the batches whose steps
/// completed (or were skipped), and the run's `total`.
pub async fn progress<'e, E: sqlx::PgExecutor<'e>>(
    executor: E,
    run_id: uuid::Uuid,
) -> Result<Option<(i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT COALESCE(sum(jsonb_array_length(r.input->'batches'->(s.seq - 1)))
                         FILTER (WHERE s.status IN ('succeeded', 'skipped')), 0)::bigint,
                (r.input->>'total')::bigint
           FROM workflow_run r LEFT JOIN workflow_step s ON s.run_id = r.id
          WHERE r.id = $1 AND r.kind = 'republish'
          GROUP BY r.id",
    )
    .bind(run_id)
    .fetch_optional(executor)
    .await
}
