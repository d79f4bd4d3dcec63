//! Keymanager's partner certificate manager, `/v1/keymanager` (mosip-contracts.md §2.2).

use async_trait::async_trait;
use pmsflow_core::failure::StepFailure;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::envelope::{decode_payload, RequestEnvelope};
use super::errors::{self, codes};
use super::http::{join, MosipHttp};

/// Outcome of `uploadCACertificate` (§2.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaUploadOutcome {
    /// Keymanager's `response.status`: `"Upload Success."` for a single certificate;
    /// `"Partial Upload Success."` or `"Upload Failed."` for a P7B whose certificates were
    /// partly or all already present (§5: the caller decides whether that is done). When
    /// `already_present` is set, the message of `KER-PCM-003`.
    pub status: String,
    /// `true` when keymanager answered `KER-PCM-003` ("Certificate already exists in store."):
    /// a repeat of an upload that already succeeded (§5), reported as success.
    pub already_present: bool,
}

/// Request of `uploadPartnerCertificate` (§2.2.2), serialised in camelCase as PMS sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerCertificateUpload {
    /// The partner id (for an FTM chip, the ftpChipDetailId). Keymanager ignores it.
    pub partner_id: String,
    /// The partner's certificate, PEM.
    pub certificate_data: String,
    /// Must equal the certificate subject's `O=` exactly (else `KER-PCM-008`).
    pub organization_name: String,
    /// PMS partner type, e.g. `Auth_Partner`. Keymanager ignores it.
    pub partner_type: String,
    /// `AUTH`, `DEVICE`, `FTM` or `MISP`.
    pub partner_domain: String,
}

/// Answer of `uploadPartnerCertificate` (§2.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedPartnerCertificate {
    /// New UUID on every upload; PMS stores it as `partner.certificate_alias`.
    pub certificate_id: String,
    /// URL-safe base64 (no padding) P7B as returned: `[re-signed leaf, PMS cert, ROOT]`
    /// (FTM: the original PKIX path). Also the datashare file content (§2.3).
    pub signed_certificate_data: String,
    /// Keymanager's timestamp as returned (`yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`, UTC); empty if absent.
    #[serde(default)]
    pub timestamp: String,
}

/// Outcome of `uploadOtherDomainCertificate` (§2.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherDomainOutcome {
    /// `"Upload Success"` (no trailing dot), or the message of `KER-KMS-035` when
    /// `already_present` is set.
    pub status: String,
    /// `true` when keymanager answered `KER-KMS-035` (the same certificate is already the current
    /// one): a repeat of an upload that already succeeded, reported as success (§5).
    pub already_present: bool,
}

/// Keymanager's partner-certificate endpoints used by PMS.
///
/// Every method sends the service token (Cookie + Bearer) and `effect_key` as `Idempotency-Key`,
/// makes exactly one attempt bounded by the client timeout, and fails with a [`StepFailure`]
/// classified as described in [`errors`].
#[async_trait]
pub trait Keymanager: Send + Sync {
    /// `POST /v1/keymanager/uploadCACertificate` (§2.2.1): adds a root or intermediate CA
    /// (PEM, or URL-safe base64 P7B) to the trust store of `partner_domain`.
    /// `KER-PCM-003` is returned as `Ok` with `already_present: true`; other keymanager codes
    /// (`KER-PCM-004/005/007/017`, `KER-PMS-020`) are permanent failures.
    async fn upload_ca_certificate(
        &self,
        certificate_data: &str,
        partner_domain: &str,
        effect_key: Option<&str>,
    ) -> Result<CaUploadOutcome, StepFailure>;

    /// `POST /v1/keymanager/uploadPartnerCertificate` (§2.2.2): validates the partner certificate
    /// against the domain trust and has MOSIP re-sign it. Not idempotent: each success mints a
    /// new certificate id. Rule violations (`KER-PCM-006/008/013/014/015`, `KER-KMS-013/021`)
    /// are permanent failures.
    async fn upload_partner_certificate(
        &self,
        upload: &PartnerCertificateUpload,
        effect_key: Option<&str>,
    ) -> Result<SignedPartnerCertificate, StepFailure>;

    /// `POST /v1/keymanager/uploadOtherDomainCertificate` (§2.2.3): hands the MOSIP-signed leaf
    /// (PEM) to keymanager under `application_id` (PMS: `PARTNER`) and `reference_id` (the
    /// partner id). `KER-KMS-035` is returned as `Ok` with `already_present: true`.
    async fn upload_other_domain_certificate(
        &self,
        application_id: &str,
        reference_id: &str,
        certificate_data: &str,
        effect_key: Option<&str>,
    ) -> Result<OtherDomainOutcome, StepFailure>;

    /// `GET /v1/keymanager/getPartnerCertificate/{cert_id}` (§2.2.4): the MOSIP-signed partner
    /// certificate as PEM. A safe read. An empty `cert_id` fails permanently without a call;
    /// `KER-PCM-012` (not found) is permanent.
    async fn get_partner_certificate(
        &self,
        cert_id: &str,
        effect_key: Option<&str>,
    ) -> Result<String, StepFailure>;
}

/// [`Keymanager`] over HTTP.
#[derive(Debug, Clone)]
pub struct HttpKeymanager {
    http: MosipHttp,
    base: Url,
}

impl HttpKeymanager {
    /// A client for the keymanager at `keymanager_url` (without the context path, e.g.
    /// `http://keymanager.keymanager`).
    pub fn new(http: MosipHttp, keymanager_url: Url) -> Self {
        Self {
            http,
            base: keymanager_url,
        }
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut all = vec!["v1", "keymanager"];
        all.extend_from_slice(segments);
        join(&self.base, &all)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CaUploadRequest<'a> {
    certificate_data: &'a str,
    partner_domain: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OtherDomainRequest<'a> {
    application_id: &'a str,
    reference_id: &'a str,
    certificate_data: &'a str,
}

#[derive(Deserialize)]
struct StatusResponse {
    #[serde(default)]
    status: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CertificateResponse {
    certificate_data: String,
}

#[async_trait]
impl Keymanager for HttpKeymanager {
    async fn upload_ca_certificate(
        &self,
        certificate_data: &str,
        partner_domain: &str,
        effect_key: Option<&str>,
    ) -> Result<CaUploadOutcome, StepFailure> {
        let body = RequestEnvelope::timed(
            CaUploadRequest {
                certificate_data,
                partner_domain,
            },
            OffsetDateTime::now_utc(),
        );
        let request = self
            .http
            .client()
            .post(self.url(&["uploadCACertificate"]))
            .json(&body);
        let raw = self
            .http
            .send("keymanager.uploadCACertificate", request, effect_key)
            .await?;
        match decode_payload::<StatusResponse>(&raw, "response", errors::unable_to_process) {
            Ok(answer) => Ok(CaUploadOutcome {
                status: answer.status,
                already_present: false,
            }),
            Err(failure) if failure.code == codes::CA_ALREADY_EXISTS => Ok(CaUploadOutcome {
                status: failure.message,
                already_present: true,
            }),
            Err(failure) => Err(failure),
        }
    }

    async fn upload_partner_certificate(
        &self,
        upload: &PartnerCertificateUpload,
        effect_key: Option<&str>,
    ) -> Result<SignedPartnerCertificate, StepFailure> {
        let request = self
            .http
            .client()
            .post(self.url(&["uploadPartnerCertificate"]))
            .json(&RequestEnvelope::new(upload));
        let raw = self
            .http
            .send("keymanager.uploadPartnerCertificate", request, effect_key)
            .await?;
        decode_payload(&raw, "response", errors::unable_to_process)
    }

    async fn upload_other_domain_certificate(
        &self,
        application_id: &str,
        reference_id: &str,
        certificate_data: &str,
        effect_key: Option<&str>,
    ) -> Result<OtherDomainOutcome, StepFailure> {
        let body = RequestEnvelope::new(OtherDomainRequest {
            application_id,
            reference_id,
            certificate_data,
        });
        let request = self
            .http
            .client()
            .post(self.url(&["uploadOtherDomainCertificate"]))
            .json(&body);
        let raw = self
            .http
            .send(
                "keymanager.uploadOtherDomainCertificate",
                request,
                effect_key,
            )
            .await?;
        match decode_payload::<StatusResponse>(&raw, "response", errors::unable_to_process) {
            Ok(answer) => Ok(OtherDomainOutcome {
                status: answer.status,
                already_present: false,
            }),
            Err(failure) if failure.code == codes::OTHER_DOMAIN_ALREADY_EXISTS => {
                Ok(OtherDomainOutcome {
                    status: failure.message,
                    already_present: true,
                })
            }
            Err(failure) => Err(failure),
        }
    }

    async fn get_partner_certificate(
        &self,
        cert_id: &str,
        effect_key: Option<&str>,
    ) -> Result<String, StepFailure> {
        if cert_id.trim().is_empty() {
            return Err(errors::bad_input("the partner certificate id is empty"));
        }
        let request = self
            .http
            .client()
            .get(self.url(&["getPartnerCertificate", cert_id]));
        let raw = self
            .http
            .send("keymanager.getPartnerCertificate", request, effect_key)
            .await?;
        decode_payload::<CertificateResponse>(&raw, "response", errors::unable_to_process)
            .map(|answer| answer.certificate_data)
    }
}
