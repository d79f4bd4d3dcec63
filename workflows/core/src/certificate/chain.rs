//! One partner domain's trust store and certificate path building, as keymanager v1.2.0.1
//! does it (`PartnerCertificateManagerServiceImpl.uploadCACertificate` and
//! `validateCertificatePath`, mosip-contracts.md §2.2 "Trust validation and re-signing").

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::error::CertificateRuleViolation;
use super::parse::Certificate;

/// Longest certificate path built, in certificates (target + intermediates + root). Bounds
/// the search; keymanager's PKIX builder has no explicit limit, but MOSIP chains are 2–4 long.
pub const MAX_PATH_LENGTH: usize = 8;

/// How a CA certificate was stored: keymanager's `ca_cert_store.ca_cert_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CaKind {
    /// Self-signed: a PKIX `TrustAnchor` (`ROOT`).
    Root,
    /// Issued by another certificate of the store (`INTERMEDIATE`).
    Intermediate,
}

/// The trust store of one partner domain (AUTH, DEVICE, FTM or MISP): root certificates
/// (trust anchors) and intermediates, each at most once by SHA-1 thumbprint.
///
/// Path building follows Java PKIX as keymanager configures it (revocation off):
/// - an issuer candidate must name the certificate's issuer DN and its key must verify the
///   certificate's signature;
/// - **trust anchors are not checked** at all (no validity, basicConstraints or keyUsage
///   check), so the `mosiptest` roots with `CA:FALSE` are accepted as MOSIP accepts them;
/// - intermediates in a path must be valid at `now`, have `CA:TRUE`, have `keyCertSign` when
///   they carry keyUsage, and respect their `pathLenConstraint` (PKIX `ConstraintsChecker` and
///   `KeyChecker`);
/// - the target certificate itself is not checked here (its rules are in
///   [`check_partner_certificate`](super::check_partner_certificate));
/// - paths are at most [`MAX_PATH_LENGTH`] long and never revisit a certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustStore {
    roots: Vec<Certificate>,
    intermediates: Vec<Certificate>,
}

impl TrustStore {
    /// An empty trust store.
    pub fn new() -> TrustStore {
        TrustStore::default()
    }

    /// Adds a CA or sub-CA certificate with keymanager's CA-upload checks, in its order:
    /// 1. the thumbprint is not yet stored (`KER-PCM-003`);
    /// 2. `now` is within the validity period (`KER-PCM-004`);
    /// 3. a self-signed certificate is stored as [`CaKind::Root`] — basicConstraints is not
    ///    looked at;
    /// 4. any other certificate must have a path to a stored root through stored
    ///    intermediates (`KER-PCM-005`) and is stored as [`CaKind::Intermediate`].
    ///
    /// Later keymanager versions also reject future-dated CAs with `KER-PMS-020`, CAs with
    /// under 12 months left with `KER-PCM-017`, and non-v3 CAs with `KER-PCM-007`
    /// (mosip-contracts.md §2.2); v1.2.0.1, which we follow, does not.
    ///
    /// # Errors
    /// The [`CertificateRuleViolation`] of the first failing check; the store is unchanged.
    pub fn add_ca(
        &mut self,
        cert: Certificate,
        now: OffsetDateTime,
    ) -> Result<CaKind, CertificateRuleViolation> {
        if self.contains(cert.thumbprint()) {
            return Err(CertificateRuleViolation::AlreadyExists {
                thumbprint: cert.thumbprint().to_owned(),
            });
        }
        if !cert.is_valid_at(now) {
            return Err(CertificateRuleViolation::DatesNotValid);
        }
        if cert.is_self_signed() {
            self.roots.push(cert);
            return Ok(CaKind::Root);
        }
        if self.find_path(&cert, now).is_none() {
            return Err(CertificateRuleViolation::RootCaNotFound);
        }
        self.intermediates.push(cert);
        Ok(CaKind::Intermediate)
    }

    /// True when a certificate with this (lower-case hex SHA-1) thumbprint is stored.
    pub fn contains(&self, thumbprint: &str) -> bool {
        self.get(thumbprint).is_some()
    }

    /// The stored certificate with this thumbprint and how it is stored.
    pub fn get(&self, thumbprint: &str) -> Option<(&Certificate, CaKind)> {
        let wanted = thumbprint.to_ascii_lowercase();
        self.roots
            .iter()
            .find(|c| c.thumbprint() == wanted)
            .map(|c| (c, CaKind::Root))
            .or_else(|| {
                self.intermediates
                    .iter()
                    .find(|c| c.thumbprint() == wanted)
                    .map(|c| (c, CaKind::Intermediate))
            })
    }

    /// The trust anchors, in upload order.
    pub fn roots(&self) -> &[Certificate] {
        &self.roots
    }

    /// The intermediates, in upload order.
    pub fn intermediates(&self) -> &[Certificate] {
        &self.intermediates
    }

    /// Number of stored certificates (roots + intermediates).
    pub fn len(&self) -> usize {
        self.roots.len() + self.intermediates.len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Builds a certification path for `target`: `[target, intermediates…, root]`, or `None`
    /// when there is none (see the type docs for the rules). A root is preferred over an
    /// intermediate at each step; among equals, upload order decides.
    pub fn find_path(&self, target: &Certificate, now: OffsetDateTime) -> Option<Vec<Certificate>> {
        let mut path: Vec<&Certificate> = vec![target];
        if self.extend(&mut path, now) {
            Some(path.into_iter().cloned().collect())
        } else {
            None
        }
    }

    /// Depth-first search from the last certificate of `path` towards a root.
    fn extend<'a>(&'a self, path: &mut Vec<&'a Certificate>, now: OffsetDateTime) -> bool {
        if path.len() >= MAX_PATH_LENGTH {
            return false;
        }
        let Some(&current) = path.last() else {
            return false;
        };
        let in_path = |candidate: &Certificate, path: &[&Certificate]| {
            path.iter()
                .any(|c| c.thumbprint() == candidate.thumbprint())
        };

        for root in &self.roots {
            if !in_path(root, path) && current.verify_issued_by(root) {
                path.push(root);
                return true;
            }
        }
        for intermediate in &self.intermediates {
            if in_path(intermediate, path)
                || !intermediate_usable(intermediate, path.len() - 1, now)
                || !current.verify_issued_by(intermediate)
            {
                continue;
            }
            path.push(intermediate);
            if self.extend(path, now) {
                return true;
            }
            path.pop();
        }
        false
    }
}

/// PKIX checks on a non-anchor CA certificate placed above `intermediates_below` other
/// intermediates (the target excluded).
fn intermediate_usable(ca: &Certificate, intermediates_below: usize, now: OffsetDateTime) -> bool {
    if !ca.is_valid_at(now) || !ca.is_ca() || ca.key_cert_sign() == Some(false) {
        return false;
    }
    match ca.path_len_constraint() {
        Some(limit) => usize::try_from(limit).map_or(true, |limit| intermediates_below <= limit),
        None => true,
    }
}
