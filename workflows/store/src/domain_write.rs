//! The domain changes a step commits together with its completion.
//!
//! DESIGN.md §2: "a step whose work is only a database change can do it inside the transaction
//! that completes it: one commit per step, effectively once". A step returns at most one
//! [`DomainWrite`]; [`engine::complete_success`](crate::engine::complete_success) records the
//! completion and applies the write atomically, so a lost lease (or a duplicate delivery)
//! writes nothing, and a write the domain refuses records nothing.
//!
//! The engine only carries the write from the step to the store: which tables it touches, and
//! which failure a refusal is, is decided here.

use pmsflow_core::failure::StepFailure;
use sqlx::{postgres::PgArguments, query::Query, PgConnection, Postgres};
use uuid::Uuid;

use crate::{
    devices,
    oidc_clients::{self, OidcWrite},
    partners::{self, CertificateRecord},
};

/// A domain change committed with a step's completion.
///
/// Writes that are their own statements run in the completion's transaction after the
/// completing statement; fused writes are CTEs of the completing statement itself (no extra
/// round trip). Either way they run only when the completion is recorded.
#[derive(Debug, Clone)]
pub enum DomainWrite {
    /// Mark the partner approved and active with its MOSIP-signed certificate, and add the
    /// certificate to its history ([`partners::activate_with_certificate`], idempotent per
    /// run). Refused with `PMS_PRT_005 Partner does not exist` when the partner is gone.
    ActivatePartner(CertificateRecord),
    /// Activate a reserved OIDC client or store its update ([`oidc_clients::apply`],
    /// idempotent). Refused with `PMS_IDP_004 Client not exists with given id.` when the
    /// client is gone.
    OidcClient(OidcWrite),
    /// Record an FTM chip's MOSIP-signed certificate ([`devices::record_chip_certificate`]).
    /// Refused with `PMP_AUT_031 ftp chip id not exists.` when the chip is gone.
    FtmChipCertificate(devices::ChipCertificate),
    /// The synthetic benchmark's business transaction: `UPDATE` the `bench_account` row,
    /// `INSERT` a `bench_log` row. Fused into the completing statement. Never refused (a
    /// missing account row updates nothing).
    BenchTouch {
        /// `bench_account.id`.
        account: Uuid,
        /// Logged step key.
        step: String,
    },
}

/// The statement variants a write can be fused into (one per fused [`DomainWrite`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fused {
    /// [`DomainWrite::BenchTouch`].
    BenchTouch = 0,
}

impl Fused {
    /// Number of variants (sizes the completion statement cache).
    pub(crate) const COUNT: usize = 1;

    /// Position among the variants, `0..COUNT`.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// CTEs appended after `done` in the completing statement. They join `done`, so they run
    /// only when the completion is recorded; their parameters start at `$15`.
    pub(crate) fn sql(self) -> &'static str {
        match self {
            Self::BenchTouch => {
                ", fw1 AS (
                    UPDATE bench_account b SET balance = b.balance + 1 FROM done
                     WHERE b.id = $15 RETURNING b.id
                 ), fw2 AS (
                    INSERT INTO bench_log (account, step) SELECT id, $16 FROM fw1
                 )"
            }
        }
    }
}

impl DomainWrite {
    /// The statement variant this write is fused into; `None` for writes applied as their own
    /// statements ([`apply`](Self::apply)).
    pub(crate) fn fused(&self) -> Option<Fused> {
        match self {
            Self::BenchTouch { .. } => Some(Fused::BenchTouch),
            Self::ActivatePartner(_) | Self::OidcClient(_) | Self::FtmChipCertificate(_) => None,
        }
    }

    /// Bind the parameters of a fused write (from `$15`, after the completion's own).
    pub(crate) fn bind_fused<'q>(
        &'q self,
        query: Query<'q, Postgres, PgArguments>,
    ) -> Query<'q, Postgres, PgArguments> {
        match self {
            Self::BenchTouch { account, step } => query.bind(account).bind(step),
            Self::ActivatePartner(_) | Self::OidcClient(_) | Self::FtmChipCertificate(_) => query,
        }
    }

    /// Apply a write that is not fused, on `conn` (the completion's transaction), as user
    /// `by`. `Ok(Err(failure))`: the domain refused it (the permanent failure to record for the
    /// attempt); the caller must roll back. A fused write does nothing here.
    pub(crate) async fn apply(
        &self,
        conn: &mut PgConnection,
        by: &str,
    ) -> Result<Result<(), StepFailure>, sqlx::Error> {
        Ok(match self {
            Self::ActivatePartner(record) => {
                if partners::activate_with_certificate(conn, record, by).await? {
                    Ok(())
                } else {
                    Err(StepFailure::permanent(
                        pmsflow_core::codes::PMS_PRT_005,
                        "Partner does not exist",
                    ))
                }
            }
            Self::OidcClient(write) => {
                if oidc_clients::apply(conn, write, by).await? {
                    Ok(())
                } else {
                    Err(StepFailure::permanent(
                        pmsflow_core::codes::PMS_IDP_004,
                        "Client not exists with given id.",
                    ))
                }
            }
            Self::FtmChipCertificate(certificate) => {
                if devices::record_chip_certificate(conn, certificate, by).await? {
                    Ok(())
                } else {
                    Err(StepFailure::permanent(
                        pmsflow_core::codes::PMP_AUT_031,
                        pmsflow_core::codes::PMP_AUT_031.message,
                    ))
                }
            }
            Self::BenchTouch { .. } => Ok(()),
        })
    }
}
