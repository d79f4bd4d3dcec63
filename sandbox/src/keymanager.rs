//! Keymanager's partner certificate manager under `/v1/keymanager` (mosip-contracts.md §2.2,
//! mosip-pms.md §10), with the trust rules of `pmsflow_core::certificate` and real
//! re-signing by the sandbox's PMS key.

use pmsflow_core::codes;
use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use pmsflow_core::certificate::{
    check_partner_certificate, encode_p7b, read_ca_upload, read_partner_upload, to_url_safe_base64,
    CaKind, Certificate, TrustStore,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

use crate::envelope::{self, mosip_timestamp, rfc3339, Echo, Reply};
use crate::gate::Outcome;
use crate::{lock, App};

/// A partner domain of `mosip.kernel.partner.allowed.domains`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Domain {
    Auth,
    Device,
    Ftm,
    Misp,
}

impl Domain {
    /// Case-insensitive parse (keymanager upper-cases the value); `None` for anything else.
    pub(crate) fn parse(text: &str) -> Option<Domain> {
        match text.trim().to_ascii_uppercase().as_str() {
            "AUTH" => Some(Domain::Auth),
            "DEVICE" => Some(Domain::Device),
            "FTM" => Some(Domain::Ftm),
            "MISP" => Some(Domain::Misp),
            _ => None,
        }
    }

    /// The stored, upper-case name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Domain::Auth => "AUTH",
            Domain::Device => "DEVICE",
            Domain::Ftm => "FTM",
            Domain::Misp => "MISP",
        }
    }
}

/// A partner certificate keymanager accepted (`partner_cert_store` row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartnerCertificateRecord {
    /// `certificateId`: a random UUID v4, new on every upload.
    pub certificate_id: String,
    /// `partnerId` as sent by PMS (keymanager's DTO ignores it; kept for inspection).
    pub partner_id: Option<String>,
    /// `organizationName` that matched the subject `O=`.
    pub organization_name: String,
    /// Upper-case partner domain.
    pub partner_domain: String,
    /// The certificate as uploaded (`cert_data`).
    pub original: Certificate,
    /// The MOSIP-signed certificate (`signed_cert_data`); the original itself for FTM.
    pub signed: Certificate,
    /// SHA-1 thumbprint of the original.
    pub thumbprint: String,
    /// The `signedCertificateData` answered: URL-safe base64 (no padding) P7B.
    pub p7b: String,
    /// Upload time, RFC 3339.
    pub uploaded_at: String,
}

/// A certificate uploaded with `uploadOtherDomainCertificate` for `(applicationId,
/// referenceId)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtherDomainCertificate {
    /// `applicationId`, e.g. `PARTNER`.
    pub application_id: String,
    /// `referenceId`, e.g. the partner id.
    pub reference_id: String,
    /// The certificate.
    pub certificate: Certificate,
    /// Upload time, RFC 3339.
    pub uploaded_at: String,
    /// When a newer certificate replaced it (keymanager sets notAfter = now − 1 min); `None`
    /// for the current one.
    pub expired_at: Option<String>,
}

/// Keymanager's state: per-domain trust stores, partner certificates, other-domain keys.
#[derive(Debug, Default)]
pub(crate) struct Store {
    trust: HashMap<Domain, TrustStore>,
    partner_certificates: Vec<PartnerCertificateRecord>,
    other_domain: Vec<OtherDomainCertificate>,
}

impl Store {
    pub(crate) fn trust_store(&self, domain: Domain) -> Option<&TrustStore> {
        self.trust.get(&domain)
    }

    pub(crate) fn partner_certificates(&self) -> &[PartnerCertificateRecord] {
        &self.partner_certificates
    }

    pub(crate) fn other_domain_certificates(&self) -> &[OtherDomainCertificate] {
        &self.other_domain
    }

    fn partner_certificate(&self, id: &str) -> Option<&PartnerCertificateRecord> {
        self.partner_certificates
            .iter()
            .find(|r| r.certificate_id == id)
    }
}

/// A parsed `RequestWrapper`: the `request` object and what to echo.
struct Request {
    echo: Echo,
    body: Value,
}

impl Request {
    /// Parses the kernel envelope; a body that is not JSON or has no `request` object is
    /// `KER-KMS-005` (keymanager's validation error).
    fn parse(bytes: &[u8]) -> Result<Request, Reply> {
        let value: Value = serde_json::from_slice(bytes).map_err(|_| {
            envelope::kernel_failure(
                &Echo::default(),
                codes::KER_KMS_005.code,
                codes::KER_KMS_005.message,
            )
        })?;
        let echo = Echo::of(&value);
        match value.get("request") {
            Some(body) if body.is_object() => Ok(Request {
                echo,
                body: body.clone(),
            }),
            _ => Err(envelope::kernel_failure(
                &echo,
                codes::KER_KMS_005.code,
                codes::KER_KMS_005.message,
            )),
        }
    }

    /// A non-blank string field.
    fn text(&self, name: &str) -> Option<&str> {
        self.body
            .get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// A required non-blank string field, else `KER-KMS-005`.
    fn required(&self, name: &str) -> Result<&str, Reply> {
        self.text(name)
            .ok_or_else(|| self.fail(codes::KER_KMS_005.code, codes::KER_KMS_005.message))
    }

    fn fail(&self, code: &str, message: &str) -> Reply {
        envelope::kernel_failure(&self.echo, code, message)
    }

    fn ok(&self, response: Value) -> Reply {
        envelope::kernel_ok(&self.echo, response)
    }

    fn domain(&self, text: &str) -> Result<Domain, Reply> {
        Domain::parse(text)
            .ok_or_else(|| self.fail(codes::KER_PCM_011.code, codes::KER_PCM_011.message))
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn kind_name(kind: CaKind) -> &'static str {
    match kind {
        CaKind::Root => "ROOT",
        CaKind::Intermediate => "INTERMEDIATE",
    }
}

/// `POST /v1/keymanager/uploadCACertificate`: `request{certificateData, partnerDomain}`.
///
/// One certificate: `{status:"Upload Success.", timestamp}` or the rule's error envelope
/// (`KER-PCM-003/004/005`). Several (P7B, processed root first): `"Upload Success."`,
/// `"Partial Upload Success."` or `"Upload Failed."`, failures skipped.
pub(crate) async fn upload_ca_certificate(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let work = async { upload_ca(&app, &body) };
    app.effectful("keymanager", "uploadCACertificate", "", &headers, work)
        .await
}

fn upload_ca(app: &App, body: &[u8]) -> Outcome {
    let request = match Request::parse(body) {
        Ok(request) => request,
        Err(reply) => return Outcome::rejected(reply),
    };
    let parsed = (|| {
        let data = request.required("certificateData")?;
        let domain = request.domain(request.required("partnerDomain")?)?;
        let certs = read_ca_upload(data).map_err(|code| request.fail(code.code, code.message))?;
        Ok::<_, Reply>((domain, certs))
    })();
    let (domain, certs) = match parsed {
        Ok(parsed) => parsed,
        Err(reply) => return Outcome::rejected(reply),
    };
    let now = now();
    let timestamp = mosip_timestamp(now);
    let mut store = lock(&app.keymanager);
    let trust = store.trust.entry(domain).or_default();

    if let [cert] = certs.as_slice() {
        return match trust.add_ca(cert.clone(), now) {
            Ok(kind) => Outcome::done(
                request.ok(json!({"status": "Upload Success.", "timestamp": timestamp})),
                format!("{}:{}", domain.as_str(), cert.thumbprint()),
                json!({
                    "partnerDomain": domain.as_str(),
                    "certificates": [{"thumbprint": cert.thumbprint(), "type": kind_name(kind), "subject": cert.subject_dn()}],
                }),
            ),
            Err(violation) => {
                Outcome::rejected(request.fail(violation.code(), violation.message()))
            }
        };
    }

    let total = certs.len();
    let mut stored = Vec::new();
    for cert in certs.into_iter().rev() {
        match trust.add_ca(cert.clone(), now) {
            Ok(kind) => stored.push(json!({"thumbprint": cert.thumbprint(), "type": kind_name(kind), "subject": cert.subject_dn()})),
            Err(violation) => tracing::debug!(code = violation.code(), subject = cert.subject_dn(), "P7B certificate skipped"),
        }
    }
    let status = if stored.len() == total {
        "Upload Success."
    } else if stored.is_empty() {
        "Upload Failed."
    } else {
        "Partial Upload Success."
    };
    let reply = request.ok(json!({"status": status, "timestamp": timestamp}));
    if stored.is_empty() {
        return Outcome::rejected(reply);
    }
    let key = stored
        .iter()
        .filter_map(|s| s["thumbprint"].as_str())
        .collect::<Vec<_>>()
        .join(",");
    Outcome::done(
        reply,
        format!("{}:{key}", domain.as_str()),
        json!({"partnerDomain": domain.as_str(), "status": status, "certificates": stored}),
    )
}

/// `POST /v1/keymanager/uploadPartnerCertificate`:
/// `request{partnerId, certificateData, organizationName, partnerType, partnerDomain}`.
///
/// Applies `check_partner_certificate` against the domain's trust store, re-signs with the
/// PMS key (FTM: keeps the original and answers its PKIX path, as keymanager does with
/// `resign.ftm.domain.certs=false`), stores the record, uploads the answered chain into the
/// domain's trust store (results only logged, like keymanager), and answers
/// `{signedCertificateData: URL-safe base64 P7B [signed leaf, PMS, ROOT], certificateId,
/// timestamp}`.
pub(crate) async fn upload_partner_certificate(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let work = async { upload_partner(&app, &body) };
    app.effectful("keymanager", "uploadPartnerCertificate", "", &headers, work)
        .await
}

fn upload_partner(app: &App, body: &[u8]) -> Outcome {
    let request = match Request::parse(body) {
        Ok(request) => request,
        Err(reply) => return Outcome::rejected(reply),
    };
    let parsed = (|| {
        let data = request.required("certificateData")?;
        let organization = request.required("organizationName")?;
        let domain_text = request.required("partnerDomain")?;
        let leaf = read_partner_upload(data)
            .map_err(|message| request.fail(codes::KER_KMS_013.code, &message))?;
        let domain = request.domain(domain_text)?;
        Ok::<_, Reply>((leaf, organization.to_owned(), domain))
    })();
    let (leaf, organization, domain) = match parsed {
        Ok(parsed) => parsed,
        Err(reply) => return Outcome::rejected(reply),
    };
    let partner_id = request.text("partnerId").map(str::to_owned);
    let now = now();
    let mut store = lock(&app.keymanager);
    let empty = TrustStore::new();
    let trust = store.trust.get(&domain).unwrap_or(&empty);
    let path = match check_partner_certificate(&leaf, trust, &organization, now) {
        Ok(path) => path,
        Err(violation) => {
            return Outcome::rejected(request.fail(violation.code(), violation.message()))
        }
    };

    let (signed, chain) = if domain == Domain::Ftm {
        (leaf.clone(), path)
    } else {
        match app.ca.resign(&leaf, domain == Domain::Auth, now) {
            Ok(signed) => {
                let chain = vec![signed.clone(), app.ca.pms().clone(), app.ca.root().clone()];
                (signed, chain)
            }
            Err(error) => {
                tracing::error!(%error, "re-signing failed");
                return Outcome::rejected(envelope::kernel_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &request.echo,
                    codes::KER_KMS_500.code,
                    codes::KER_KMS_500.message,
                ));
            }
        }
    };
    let p7b = to_url_safe_base64(&encode_p7b(&chain));
    let certificate_id = uuid::Uuid::new_v4().to_string();
    let record = PartnerCertificateRecord {
        certificate_id: certificate_id.clone(),
        partner_id: partner_id.clone(),
        organization_name: organization,
        partner_domain: domain.as_str().to_owned(),
        thumbprint: leaf.thumbprint().to_owned(),
        original: leaf.clone(),
        signed: signed.clone(),
        p7b: p7b.clone(),
        uploaded_at: rfc3339(now),
    };
    store.partner_certificates.push(record);

    // Keymanager then calls its own uploadCACertificate(p7b, domain): root first.
    let trust = store.trust.entry(domain).or_default();
    for cert in chain.iter().rev() {
        if let Err(violation) = trust.add_ca(cert.clone(), now) {
            tracing::debug!(
                code = violation.code(),
                subject = cert.subject_dn(),
                "chain certificate not added to trust store"
            );
        }
    }

    let owner = partner_id
        .clone()
        .unwrap_or_else(|| leaf.organization().unwrap_or("").to_owned());
    Outcome::done(
        request.ok(json!({
            "signedCertificateData": p7b,
            "certificateId": certificate_id,
            "timestamp": mosip_timestamp(now),
        })),
        format!("{owner}:{}", leaf.thumbprint()),
        json!({
            "partnerId": partner_id,
            "partnerDomain": domain.as_str(),
            "certificateId": certificate_id,
            "thumbprint": leaf.thumbprint(),
            "signedThumbprint": signed.thumbprint(),
        }),
    )
}

/// `POST /v1/keymanager/uploadOtherDomainCertificate`:
/// `request{applicationId, referenceId, certificateData}` → `{status:"Upload Success",
/// timestamp}` (no trailing dot). The same certificate as the current one for the pair is
/// `KER-KMS-035`; a new one expires the previous.
pub(crate) async fn upload_other_domain_certificate(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let work = async { upload_other_domain(&app, &body) };
    app.effectful(
        "keymanager",
        "uploadOtherDomainCertificate",
        "",
        &headers,
        work,
    )
    .await
}

fn upload_other_domain(app: &App, body: &[u8]) -> Outcome {
    let request = match Request::parse(body) {
        Ok(request) => request,
        Err(reply) => return Outcome::rejected(reply),
    };
    let parsed = (|| {
        let application_id = request.required("applicationId")?.to_owned();
        let reference_id = request.required("referenceId")?.to_owned();
        let cert = Certificate::from_pem(request.required("certificateData")?)
            .map_err(|_| request.fail(codes::KER_KMS_013.code, codes::KER_KMS_013.message))?;
        Ok::<_, Reply>((application_id, reference_id, cert))
    })();
    let (application_id, reference_id, cert) = match parsed {
        Ok(parsed) => parsed,
        Err(reply) => return Outcome::rejected(reply),
    };
    let now = now();
    let mut store = lock(&app.keymanager);
    let current = store.other_domain.iter_mut().find(|c| {
        c.application_id == application_id
            && c.reference_id == reference_id
            && c.expired_at.is_none()
    });
    if let Some(current) = current {
        if current.certificate.thumbprint() == cert.thumbprint() {
            return Outcome::rejected(
                request.fail(codes::KER_KMS_035.code, codes::KER_KMS_035.message),
            );
        }
        current.expired_at = Some(rfc3339(now - Duration::minutes(1)));
    }
    store.other_domain.push(OtherDomainCertificate {
        application_id: application_id.clone(),
        reference_id: reference_id.clone(),
        certificate: cert.clone(),
        uploaded_at: rfc3339(now),
        expired_at: None,
    });
    Outcome::done(
        request.ok(json!({"status": "Upload Success", "timestamp": mosip_timestamp(now)})),
        format!("{application_id}:{reference_id}:{}", cert.thumbprint()),
        json!({"applicationId": application_id, "referenceId": reference_id, "thumbprint": cert.thumbprint()}),
    )
}

/// `GET /v1/keymanager/getPartnerCertificate/{partnerCertId}` →
/// `{certificateData: MOSIP-signed PEM, timestamp}`; unknown id `KER-PCM-012`.
pub(crate) async fn get_partner_certificate(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Reply {
    app.read("keymanager", "getPartnerCertificate", &headers, async {
        let store = lock(&app.keymanager);
        match store.partner_certificate(id.trim()) {
            Some(record) => envelope::kernel_ok(
                &Echo::default(),
                json!({"certificateData": record.signed.to_pem(), "timestamp": mosip_timestamp(now())}),
            ),
            None => not_found(&id),
        }
    })
    .await
}

/// `GET /v1/keymanager/getPartnerSignedCertificate/{partnerCertId}` →
/// `{caSignedCertificateData, mosipSignedCertificateData, timestamp}`.
pub(crate) async fn get_partner_signed_certificate(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Reply {
    app.read(
        "keymanager",
        "getPartnerSignedCertificate",
        &headers,
        async {
            let store = lock(&app.keymanager);
            match store.partner_certificate(id.trim()) {
                Some(record) => envelope::kernel_ok(
                    &Echo::default(),
                    json!({
                        "caSignedCertificateData": record.original.to_pem(),
                        "mosipSignedCertificateData": record.signed.to_pem(),
                        "timestamp": mosip_timestamp(now()),
                    }),
                ),
                None => not_found(&id),
            }
        },
    )
    .await
}

fn not_found(id: &str) -> Reply {
    if id.trim().is_empty() {
        envelope::kernel_failure(
            &Echo::default(),
            codes::KER_PCM_010.code,
            codes::KER_PCM_010.message,
        )
    } else {
        envelope::kernel_failure(
            &Echo::default(),
            codes::KER_PCM_012.code,
            codes::KER_PCM_012.message,
        )
    }
}

/// `POST /v1/keymanager/verifyCertificateTrust`: `request{certificateData, partnerDomain}` →
/// `{status: true|false}` (a path to the domain's roots exists); a safe read.
pub(crate) async fn verify_certificate_trust(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    app.read("keymanager", "verifyCertificateTrust", &headers, async {
        let request = match Request::parse(&body) {
            Ok(request) => request,
            Err(reply) => return reply,
        };
        let parsed = (|| {
            let cert = Certificate::from_pem(request.required("certificateData")?)
                .map_err(|e| request.fail(e.code(), e.message()))?;
            let domain = request.domain(request.required("partnerDomain")?)?;
            Ok::<_, Reply>((cert, domain))
        })();
        let (cert, domain) = match parsed {
            Ok(parsed) => parsed,
            Err(reply) => return reply,
        };
        let store = lock(&app.keymanager);
        let trusted = store
            .trust
            .get(&domain)
            .is_some_and(|trust| trust.find_path(&cert, now()).is_some());
        request.ok(json!({"status": trusted}))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_case_insensitive() {
        assert_eq!(Domain::parse("auth"), Some(Domain::Auth));
        assert_eq!(Domain::parse(" Ftm "), Some(Domain::Ftm));
        assert_eq!(Domain::parse("DEVICE").map(Domain::as_str), Some("DEVICE"));
        assert_eq!(Domain::parse("misp"), Some(Domain::Misp));
        assert_eq!(Domain::parse("AUTHX"), None);
        assert_eq!(Domain::parse(""), None);
    }
}
