//! Certificate module against the real MOSIP api-test certificates in
//! `../shared/fixtures/mosip/certs` (see its README for which chains are valid) and against
//! chains generated with rcgen for the cases the fixtures do not cover.
//!
//! rcgen (ring backend) cannot make every negative case: it cannot generate RSA keys at all
//! and cannot sign with SHA-1, and it always writes X.509 v3. So the SHA-1 (`KER-PCM-014`)
//! and v1 (`KER-PCM-007`) cases are not built here; `KER-PCM-014` is exercised with a
//! SHA384withECDSA chain (keymanager's `startsWith("SHA2")` rejects it too) and
//! `KER-PCM-013` with a 1024-bit RSA *public* key (a hand-built SubjectPublicKeyInfo, which
//! needs no private key) certified by an ECDSA CA.

use std::path::PathBuf;

use der::{Decode, Encode};
use pmsflow_core::certificate::{
    check_partner_certificate, decode_p7b, decode_p7b_base64, encode_p7b, from_url_safe_base64,
    p7b_leaf, parse_pem_bundle, to_url_safe_base64, CaKind, Certificate, CertificateError,
    CertificateRuleViolation, P7bError, TrustStore,
};
use proptest::prelude::*;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PublicKeyData, PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The day the fixtures were last reviewed: pms-api-chain's leaf (notAfter 2027-04-01) has
/// under 335 days left, the apitest chains (2049) and mosiptest pairs (2121/2124) plenty.
const NOW: OffsetDateTime = datetime!(2026-11-22 00:00 UTC);

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/mosip/certs")
}

fn read_fixture(relative: &str) -> String {
    let path = fixtures_dir().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture(relative: &str) -> Certificate {
    Certificate::from_pem(&read_fixture(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn all_fixture_files() -> Vec<String> {
    let mut files = Vec::new();
    for group in std::fs::read_dir(fixtures_dir()).expect("fixtures dir") {
        let group = group.expect("dir entry").path();
        if !group.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&group).expect("group dir") {
            let file = file.expect("dir entry").path();
            if file.extension().is_some_and(|e| e == "pem") {
                let relative = file
                    .strip_prefix(fixtures_dir())
                    .expect("under fixtures")
                    .to_string_lossy()
                    .into_owned();
                files.push(relative);
            }
        }
    }
    files.sort();
    files
}

/// Trust store with the group's root then sub-CA, as an admin uploads them.
fn apitest_store(group: &str) -> TrustStore {
    let mut store = TrustStore::new();
    let root = fixture(&format!("{group}/root-ca.apitest.pem"));
    let sub = fixture(&format!("{group}/sub-ca.apitest2.pem"));
    assert_eq!(store.add_ca(root, NOW), Ok(CaKind::Root), "{group} root");
    assert_eq!(
        store.add_ca(sub, NOW),
        Ok(CaKind::Intermediate),
        "{group} sub-CA"
    );
    store
}

#[test]
fn every_fixture_parses_except_the_corrupted_one() {
    let files = all_fixture_files();
    assert_eq!(files.len(), 22, "{files:?}");
    for file in files {
        let text = read_fixture(&file);
        let parsed = Certificate::from_pem(&text);
        if file.starts_with("invalid/") {
            let err = parsed.expect_err("corrupted certificate must not parse");
            assert_eq!(err.code(), "KER-PCM-001");
            assert_eq!(err.message(), "Invalid Certificate uploaded.");
            continue;
        }
        let cert = parsed.unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(cert.version(), 3, "{file}");
        assert_eq!(cert.signature_algorithm(), "SHA256withRSA", "{file}");
        assert_eq!(cert.thumbprint().len(), 40, "{file}");
        assert!(cert
            .thumbprint()
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert!(
            matches!(cert.rsa_modulus_bits(), Some(2048) | Some(4096)),
            "{file}"
        );
        // PEM round trip, and the other accepted spellings of the same certificate.
        assert_eq!(Certificate::from_pem(&cert.to_pem()).as_ref(), Ok(&cert));
        assert_eq!(
            Certificate::from_pem(&text.replace('\n', "\r\n")).as_ref(),
            Ok(&cert)
        );
        assert_eq!(
            Certificate::from_pem(&format!("\n  {text}  \n")).as_ref(),
            Ok(&cert)
        );
        let escaped = text.trim().replace('\n', "\\n");
        assert_eq!(Certificate::from_pem(&escaped).as_ref(), Ok(&cert));
        let standard =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, cert.der());
        assert_eq!(Certificate::from_pem(&standard).as_ref(), Ok(&cert));
        assert_eq!(Certificate::parse_any(&standard).as_ref(), Ok(&cert));
        assert_eq!(
            Certificate::parse_any(&to_url_safe_base64(cert.der())).as_ref(),
            Ok(&cert)
        );
        assert_eq!(Certificate::parse_any(&text).as_ref(), Ok(&cert));
    }
}

#[test]
fn facts_of_a_known_certificate() {
    let movp = fixture("apitest-credential/partner.movp.pem");
    // Known answers from `openssl x509 -noout -fingerprint -sha1 -serial -subject`.
    assert_eq!(
        movp.thumbprint(),
        "b3472aa9fe2b667afcf27594403828540707a957"
    );
    assert_eq!(movp.serial_hex(), "04");
    assert_eq!(
        movp.subject_dn(),
        "CN=movp,OU=movp,O=movp,L=BLR,ST=KAR,C=IN"
    );
    assert_eq!(
        movp.issuer_dn(),
        "CN=apitest2,OU=apitest2,O=apitest2,L=BLR,ST=KAR,C=IN"
    );
    assert_eq!(movp.organization(), Some("movp"));
    assert_eq!(movp.rsa_modulus_bits(), Some(4096));
    assert!(!movp.is_ca());
    assert!(!movp.is_self_signed());
    assert_eq!(movp.not_after(), datetime!(2049-05-30 09:24:58 UTC));

    let root = fixture("apitest-credential/root-ca.apitest.pem");
    assert!(root.is_self_signed() && root.is_ca());
    let sub = fixture("apitest-credential/sub-ca.apitest2.pem");
    assert!(sub.is_ca() && !sub.is_self_signed());
    assert_eq!(sub.path_len_constraint(), Some(0));
    assert!(movp.verify_issued_by(&sub));
    assert!(sub.verify_issued_by(&root));
    assert!(!movp.verify_issued_by(&root));
    // Same DN, different key: the misp group's sub-CA did not issue movp.
    assert!(!movp.verify_issued_by(&fixture("apitest-misp/sub-ca.apitest2.pem")));

    let mosiptest_root = fixture("mosiptest-2021/root.mosiptest.org.pem");
    assert!(
        mosiptest_root.is_self_signed(),
        "self-signed although CA:FALSE"
    );
    assert!(!mosiptest_root.is_ca());
}

#[test]
fn pem_bundle_keeps_order() {
    let text = [
        "apitest-misp/partner.misp.pem",
        "apitest-misp/sub-ca.apitest2.pem",
        "apitest-misp/root-ca.apitest.pem",
    ]
    .map(read_fixture)
    .join("\n# comment between blocks\n");
    let certs = parse_pem_bundle(&text).expect("bundle");
    assert_eq!(certs.len(), 3);
    assert_eq!(certs[0].organization(), Some("misp"));
    assert_eq!(certs[2].organization(), Some("apitest"));
    let corrupted = format!(
        "{text}\n{}",
        read_fixture("invalid/uploadInvalidCertificate.corrupted.pem")
    );
    assert_eq!(
        parse_pem_bundle(&corrupted).map(|_| ()).unwrap_err().code(),
        "KER-PCM-001"
    );
}

#[test]
fn apitest_chains_validate_for_their_own_leaves() {
    for (group, leaf, org) in [
        ("apitest-credential", "partner.movp.pem", "movp"),
        ("apitest-misp", "partner.misp.pem", "misp"),
        ("apitest-misp", "partner.misp2.pem", "misp2"),
        (
            "apitest-device",
            "partner.deviceprovider.pem",
            "deviceprovider",
        ),
        ("apitest-ftm", "partner.ftp.pem", "ftp"),
    ] {
        let store = apitest_store(group);
        let leaf = fixture(&format!("{group}/{leaf}"));
        let path = check_partner_certificate(&leaf, &store, org, NOW)
            .unwrap_or_else(|e| panic!("{group}/{org}: {e}"));
        assert_eq!(path.len(), 3);
        assert_eq!(path[0], leaf);
        assert_eq!(path[1], store.intermediates()[0]);
        assert_eq!(path[2], store.roots()[0]);
    }
}

#[test]
fn mosiptest_roots_with_ca_false_are_trust_anchors() {
    for (group, leaf, org) in [
        ("mosiptest-2021", "partner.Techno.pem", "Techno"),
        ("mosiptest-2024", "partner.mosipprint.pem", "mosipprint"),
    ] {
        let mut store = TrustStore::new();
        let root = fixture(&format!("{group}/root.mosiptest.org.pem"));
        assert_eq!(store.add_ca(root.clone(), NOW), Ok(CaKind::Root));
        let leaf = fixture(&format!("{group}/{leaf}"));
        let path = check_partner_certificate(&leaf, &store, org, NOW).expect(group);
        assert_eq!(path, vec![leaf, root]);
    }
}

#[test]
fn both_mosiptest_roots_share_a_dn_and_signatures_pick_the_right_one() {
    let mut store = TrustStore::new();
    let root_2021 = fixture("mosiptest-2021/root.mosiptest.org.pem");
    let root_2024 = fixture("mosiptest-2024/root.mosiptest.org.pem");
    assert_eq!(root_2021.subject_dn(), root_2024.subject_dn());
    store.add_ca(root_2021.clone(), NOW).expect("2021 root");
    store.add_ca(root_2024.clone(), NOW).expect("2024 root");
    let techno = fixture("mosiptest-2021/partner.Techno.pem");
    let print = fixture("mosiptest-2024/partner.mosipprint.pem");
    assert_eq!(
        check_partner_certificate(&techno, &store, "Techno", NOW).expect("techno")[1],
        root_2021
    );
    assert_eq!(
        check_partner_certificate(&print, &store, "mosipprint", NOW).expect("print")[1],
        root_2024
    );
}

#[test]
fn pms_api_chain_leaf_has_under_335_days_left() {
    let mut store = TrustStore::new();
    store
        .add_ca(fixture("pms-api-chain/root-ca.PMS_API_CA.pem"), NOW)
        .expect("root");
    store
        .add_ca(fixture("pms-api-chain/sub-ca.PMS_API_SUB_CA.pem"), NOW)
        .expect("sub-CA still valid");
    let leaf = fixture("pms-api-chain/partner.PMS_API_ABC_ORG.pem");
    let err = check_partner_certificate(&leaf, &store, "PMS_API_ABC_ORG", NOW).unwrap_err();
    assert_eq!(err.code(), "KER-PCM-004");
    assert_eq!(err.message(), "Certificate Dates are not valid.");
    assert!(
        matches!(err, CertificateRuleViolation::InsufficientRemainingValidity { remaining_days } if remaining_days == 130)
    );

    // Early 2025 the same leaf had ~820 days left and passed.
    let then = datetime!(2025-01-01 00:00 UTC);
    let path = check_partner_certificate(&leaf, &store, "PMS_API_ABC_ORG", then).expect("2025");
    assert_eq!(path.len(), 3);
    // After expiry the validity check itself fails first.
    let after = datetime!(2027-05-01 00:00 UTC);
    assert_eq!(
        check_partner_certificate(&leaf, &store, "PMS_API_ABC_ORG", after),
        Err(CertificateRuleViolation::DatesNotValid)
    );
}

#[test]
fn orphan_leaf_and_foreign_chains_have_no_path() {
    let store = apitest_store("apitest-ftm");
    let orphan = fixture("apitest-orphan/partner.ftp.issued-by-SUBCA.pem");
    let err = check_partner_certificate(&orphan, &store, "ftp", NOW).unwrap_err();
    assert_eq!(err.code(), "KER-PCM-006");
    assert_eq!(
        err.message(),
        "Root CA/Intermediate CA Certificates not found."
    );

    // Identical DNs in every apitest group, but another group's keys: no path.
    let credential = apitest_store("apitest-credential");
    let misp = fixture("apitest-misp/partner.misp.pem");
    assert_eq!(
        check_partner_certificate(&misp, &credential, "misp", NOW),
        Err(CertificateRuleViolation::ChainNotFound)
    );
    assert_eq!(
        check_partner_certificate(&misp, &TrustStore::new(), "misp", NOW),
        Err(CertificateRuleViolation::ChainNotFound)
    );
}

#[test]
fn organization_must_match_exactly() {
    let store = apitest_store("apitest-credential");
    let movp = fixture("apitest-credential/partner.movp.pem");
    for wrong in ["MOVP", "movp ", "misp", ""] {
        let err = check_partner_certificate(&movp, &store, wrong, NOW).unwrap_err();
        assert_eq!(err.code(), "KER-PCM-008", "{wrong:?}");
        assert_eq!(err.message(), "Partner Organization Name not Matched.");
    }
}

#[test]
fn self_signed_partner_certificate_is_refused() {
    let mut store = TrustStore::new();
    let root = fixture("mosiptest-2021/root.mosiptest.org.pem");
    store.add_ca(root.clone(), NOW).expect("root");
    assert_eq!(
        check_partner_certificate(&root, &store, "MOSIPTEST", NOW),
        Err(CertificateRuleViolation::SelfSignedNotAllowed)
    );
}

#[test]
fn ca_upload_rules() {
    let root = fixture("apitest-device/root-ca.apitest.pem");
    let sub = fixture("apitest-device/sub-ca.apitest2.pem");
    let mut store = TrustStore::new();
    // Sub-CA before its root: KER-PCM-005, nothing stored.
    assert_eq!(
        store.add_ca(sub.clone(), NOW),
        Err(CertificateRuleViolation::RootCaNotFound)
    );
    assert!(store.is_empty());
    assert_eq!(store.add_ca(root.clone(), NOW), Ok(CaKind::Root));
    let again = store.add_ca(root.clone(), NOW).unwrap_err();
    assert_eq!(again.code(), "KER-PCM-003");
    assert_eq!(again.message(), "Certificate already exists in store.");
    // Expired at upload time: KER-PCM-004.
    assert_eq!(
        store.add_ca(sub.clone(), datetime!(2050-01-01 00:00 UTC)),
        Err(CertificateRuleViolation::DatesNotValid)
    );
    assert_eq!(store.add_ca(sub.clone(), NOW), Ok(CaKind::Intermediate));
    assert_eq!(
        store.get(&sub.thumbprint().to_uppercase()).map(|(_, k)| k),
        Some(CaKind::Intermediate)
    );
    assert_eq!(store.len(), 2);
    // A partner leaf may be uploaded as a CA (keymanager does not check basicConstraints).
    let leaf = fixture("apitest-device/partner.deviceprovider.pem");
    assert_eq!(store.add_ca(leaf, NOW), Ok(CaKind::Intermediate));
    // Another group's sub-CA with the same DN does not chain.
    assert_eq!(
        store.add_ca(fixture("apitest-ftm/sub-ca.apitest2.pem"), NOW),
        Err(CertificateRuleViolation::RootCaNotFound)
    );
}

// ---------------------------------------------------------------------------------------
// Generated chains (rcgen, ECDSA keys).

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    cert: Certificate,
}

fn name(params: &mut CertificateParams, org: &str, cn: &str) {
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CountryName, "IN");
    params
        .distinguished_name
        .push(DnType::OrganizationName, org);
    params.distinguished_name.push(DnType::CommonName, cn);
}

fn validity(params: &mut CertificateParams, from: OffsetDateTime, days: i64) {
    params.not_before = from;
    params.not_after = from + Duration::days(days);
}

fn root_ca(alg: &'static rcgen::SignatureAlgorithm, cn: &str) -> Ca {
    let key = KeyPair::generate_for(alg).expect("key");
    let mut params = CertificateParams::default();
    name(&mut params, "Generated", cn);
    validity(&mut params, NOW - Duration::days(1), 3650);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).expect("self-signed");
    let cert = Certificate::from_der(cert.der()).expect("parse");
    Ca { params, key, cert }
}

fn sub_ca(parent: &Ca, cn: &str, is_ca: IsCa, days: i64) -> Ca {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
    let mut params = CertificateParams::default();
    name(&mut params, "Generated", cn);
    validity(&mut params, NOW - Duration::days(1), days);
    params.is_ca = is_ca;
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let issuer = Issuer::from_params(&parent.params, &parent.key);
    let cert = params.signed_by(&key, &issuer).expect("signed");
    let cert = Certificate::from_der(cert.der()).expect("parse");
    Ca { params, key, cert }
}

fn leaf_with_key(
    parent: &Ca,
    key: &impl PublicKeyData,
    org: &str,
    from: OffsetDateTime,
    days: i64,
) -> Certificate {
    let mut params = CertificateParams::default();
    name(&mut params, org, org);
    validity(&mut params, from, days);
    let issuer = Issuer::from_params(&parent.params, &parent.key);
    let cert = params.signed_by(key, &issuer).expect("signed");
    Certificate::from_der(cert.der()).expect("parse")
}

fn leaf(parent: &Ca, org: &str, from: OffsetDateTime, days: i64) -> Certificate {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
    leaf_with_key(parent, &key, org, from, days)
}

fn store_of(cas: &[&Ca]) -> TrustStore {
    let mut store = TrustStore::new();
    for ca in cas {
        store.add_ca(ca.cert.clone(), NOW).expect("CA upload");
    }
    store
}

#[test]
fn generated_ecdsa_chain_passes_and_skips_the_rsa_size_rule() {
    let root = root_ca(&PKCS_ECDSA_P256_SHA256, "Gen Root");
    let sub = sub_ca(
        &root,
        "Gen Sub",
        IsCa::Ca(BasicConstraints::Constrained(0)),
        3000,
    );
    let store = store_of(&[&root, &sub]);
    let cert = leaf(&sub, "ACME Bank", NOW - Duration::days(1), 720);
    assert_eq!(cert.signature_algorithm(), "SHA256withECDSA");
    assert_eq!(cert.rsa_modulus_bits(), None);
    let path = check_partner_certificate(&cert, &store, "ACME Bank", NOW).expect("valid");
    assert_eq!(path, vec![cert, sub.cert.clone(), root.cert.clone()]);
}

#[test]
fn generated_expired_future_and_short_lived_leaves_fail_kerpcm004() {
    let root = root_ca(&PKCS_ECDSA_P256_SHA256, "Gen Root");
    let store = store_of(&[&root]);
    let expired = leaf(&root, "ACME", NOW - Duration::days(800), 400);
    let future = leaf(&root, "ACME", NOW + Duration::days(2), 720);
    let short = leaf(&root, "ACME", NOW - Duration::days(1), 300);
    let just_enough = leaf(&root, "ACME", NOW - Duration::days(1), 337);
    assert_eq!(
        check_partner_certificate(&expired, &store, "ACME", NOW),
        Err(CertificateRuleViolation::DatesNotValid)
    );
    assert_eq!(
        check_partner_certificate(&future, &store, "ACME", NOW),
        Err(CertificateRuleViolation::DatesNotValid)
    );
    let err = check_partner_certificate(&short, &store, "ACME", NOW).unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        ("KER-PCM-004", "Certificate Dates are not valid.")
    );
    assert!(check_partner_certificate(&just_enough, &store, "ACME", NOW).is_ok());
}

#[test]
fn generated_sha384_signature_fails_kerpcm014() {
    let root = root_ca(&PKCS_ECDSA_P384_SHA384, "Gen P384 Root");
    let store = store_of(&[&root]);
    let cert = leaf(&root, "ACME", NOW - Duration::days(1), 720);
    assert_eq!(cert.signature_algorithm(), "SHA384withECDSA");
    let err = check_partner_certificate(&cert, &store, "ACME", NOW).unwrap_err();
    assert_eq!(err.code(), "KER-PCM-014");
    assert_eq!(
        err.message(),
        "Partner Certificate Signature algorithm not supported."
    );
}

/// A 1024-bit RSA SubjectPublicKeyInfo (public part only; never used to verify anything).
fn rsa_1024_spki() -> Vec<u8> {
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match content.len() {
            n if n < 0x80 => out.push(n as u8),
            n if n < 0x100 => out.extend([0x81, n as u8]),
            n => out.extend([0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend_from_slice(content);
        out
    }
    let mut modulus = vec![0x00, 0xc5];
    modulus.extend((0..127u8).map(|i| i.wrapping_mul(37) | 1));
    let rsa_public_key = tlv(
        0x30,
        &[tlv(0x02, &modulus), tlv(0x02, &[0x01, 0x00, 0x01])].concat(),
    );
    let algorithm = tlv(
        0x30,
        &[
            tlv(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
            ),
            vec![0x05, 0x00],
        ]
        .concat(),
    );
    let bit_string = tlv(0x03, &[&[0u8][..], &rsa_public_key].concat());
    tlv(0x30, &[algorithm, bit_string].concat())
}

#[test]
fn generated_rsa_1024_leaf_fails_kerpcm013() {
    let root = root_ca(&PKCS_ECDSA_P256_SHA256, "Gen Root");
    let store = store_of(&[&root]);
    let spki = rcgen::SubjectPublicKeyInfo::from_der(&rsa_1024_spki()).expect("spki");
    let cert = leaf_with_key(&root, &spki, "ACME", NOW - Duration::days(1), 720);
    assert_eq!(cert.rsa_modulus_bits(), Some(1024));
    assert_eq!(cert.public_key_der(), rsa_1024_spki().as_slice());
    let err = check_partner_certificate(&cert, &store, "ACME", NOW).unwrap_err();
    assert_eq!(err.code(), "KER-PCM-013");
    assert_eq!(
        err.message(),
        "Partner Certificate Key Size is less than allowed size."
    );
}

#[test]
fn generated_intermediates_must_be_valid_cas_within_path_length() {
    let root = root_ca(&PKCS_ECDSA_P256_SHA256, "Gen Root");

    // CA:FALSE intermediate: storable (keymanager does not look), but not an issuer in a path.
    let not_ca = sub_ca(&root, "Not A CA", IsCa::ExplicitNoCa, 3000);
    let store = store_of(&[&root, &not_ca]);
    let cert = leaf(&not_ca, "ACME", NOW - Duration::days(1), 720);
    assert_eq!(
        check_partner_certificate(&cert, &store, "ACME", NOW),
        Err(CertificateRuleViolation::ChainNotFound)
    );

    // pathlen:0 sub-CA cannot have another CA below it in the path.
    let level1 = sub_ca(
        &root,
        "Level 1",
        IsCa::Ca(BasicConstraints::Constrained(0)),
        3000,
    );
    let mut store = store_of(&[&root, &level1]);
    let level2 = sub_ca(
        &level1,
        "Level 2",
        IsCa::Ca(BasicConstraints::Unconstrained),
        3000,
    );
    assert_eq!(
        store.add_ca(level2.cert.clone(), NOW),
        Ok(CaKind::Intermediate)
    );
    let deep = leaf(&level2, "ACME", NOW - Duration::days(1), 720);
    assert_eq!(store.find_path(&deep, NOW), None);

    // Without the constraint the same depth works, and the path is leaf..root.
    let open1 = sub_ca(
        &root,
        "Open 1",
        IsCa::Ca(BasicConstraints::Unconstrained),
        3000,
    );
    let open2 = sub_ca(
        &open1,
        "Open 2",
        IsCa::Ca(BasicConstraints::Unconstrained),
        3000,
    );
    let store = store_of(&[&root, &open1, &open2]);
    let deep = leaf(&open2, "ACME", NOW - Duration::days(1), 720);
    let path = check_partner_certificate(&deep, &store, "ACME", NOW).expect("open path");
    assert_eq!(path.len(), 4);

    // An intermediate that has expired by the time a partner uploads breaks the path.
    let short_sub = sub_ca(
        &root,
        "Short Sub",
        IsCa::Ca(BasicConstraints::Unconstrained),
        400,
    );
    let store = store_of(&[&root, &short_sub]);
    let cert = leaf(&short_sub, "ACME", NOW - Duration::days(1), 1000);
    let later = NOW + Duration::days(450);
    assert!(store.find_path(&cert, NOW).is_some());
    assert_eq!(store.find_path(&cert, later), None);
}

#[test]
fn path_length_is_bounded() {
    let root = root_ca(&PKCS_ECDSA_P256_SHA256, "Gen Root");
    let mut store = store_of(&[&root]);
    let mut chain = vec![];
    let mut parent = &root;
    for i in 0..9 {
        let ca = sub_ca(
            parent,
            &format!("Level {i}"),
            IsCa::Ca(BasicConstraints::Unconstrained),
            3000,
        );
        chain.push(ca);
        parent = chain.last().expect("pushed");
    }
    let mut stored = 0;
    for ca in &chain {
        if store.add_ca(ca.cert.clone(), NOW).is_ok() {
            stored += 1;
        }
    }
    // Root + 6 intermediates + the one being added = 8 = MAX_PATH_LENGTH.
    assert_eq!(stored, pmsflow_core::certificate::MAX_PATH_LENGTH - 1);
}

// ---------------------------------------------------------------------------------------
// P7B.

fn movp_chain() -> Vec<Certificate> {
    [
        "apitest-credential/partner.movp.pem",
        "apitest-credential/sub-ca.apitest2.pem",
        "apitest-credential/root-ca.apitest.pem",
    ]
    .map(fixture)
    .to_vec()
}

#[test]
fn p7b_round_trip_preserves_order() {
    let chain = movp_chain();
    let der = encode_p7b(&chain);
    assert_eq!(decode_p7b(&der).expect("decode"), chain);
    let reversed: Vec<Certificate> = chain.iter().rev().cloned().collect();
    assert_eq!(
        decode_p7b(&encode_p7b(&reversed)).expect("decode"),
        reversed
    );

    let text = to_url_safe_base64(&der);
    assert!(!text.contains(['+', '/', '=']));
    assert_eq!(from_url_safe_base64(&text).as_deref(), Ok(der.as_slice()));
    assert_eq!(decode_p7b_base64(&text).expect("decode"), chain);
    let standard_padded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &der);
    assert_eq!(decode_p7b_base64(&standard_padded).expect("decode"), chain);
    assert_eq!(p7b_leaf(&der).expect("leaf"), chain[0]);
}

#[test]
fn p7b_is_well_formed_cms_signed_data() {
    let chain = movp_chain();
    let der = encode_p7b(&chain);
    let content_info = cms::content_info::ContentInfo::from_der(&der).expect("ContentInfo");
    assert_eq!(
        content_info.content_type.to_string(),
        "1.2.840.113549.1.7.2"
    );
    let signed_data: cms::signed_data::SignedData =
        content_info.content.decode_as().expect("SignedData");
    assert_eq!(signed_data.signer_infos.0.len(), 0);
    assert_eq!(signed_data.digest_algorithms.len(), 0);
    let certificates = signed_data.certificates.expect("certificates");
    assert_eq!(certificates.0.len(), 3);
    // cms re-sorts the SET OF; as a set it still holds exactly our certificates.
    let mut ours: Vec<Vec<u8>> = chain.iter().map(|c| c.der().to_vec()).collect();
    let mut theirs: Vec<Vec<u8>> = certificates
        .0
        .iter()
        .map(|choice| choice.to_der().expect("re-encode"))
        .collect();
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs);
}

/// Re-wraps a DER P7B's ContentInfo, [0] and SignedData in BER indefinite lengths, as
/// BouncyCastle (keymanager) writes them.
fn to_indefinite_ber(chain: &[Certificate]) -> Vec<u8> {
    let mut ber = vec![
        0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
    ];
    ber.extend([0xa0, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0x31, 0x00]);
    ber.extend([
        0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
    ]);
    ber.extend([0xa0, 0x80]);
    for cert in chain {
        ber.extend_from_slice(cert.der());
    }
    ber.extend([0x00, 0x00, 0x31, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
    ber
}

#[test]
fn p7b_decodes_bouncycastle_style_ber() {
    let chain = movp_chain();
    let ber = to_indefinite_ber(&chain);
    // Same prefix as the keymanager sample in mosip-contracts.md §2.2.2.
    assert!(to_url_safe_base64(&ber)
        .starts_with("MIAGCSqGSIb3DQEHAqCAMIACAQExADALBgkqhkiG9w0BBwGggDCC"));
    assert_eq!(decode_p7b(&ber).expect("BER"), chain);
}

#[test]
fn p7b_errors_carry_pms_codes() {
    let chain = movp_chain();
    let mut der = encode_p7b(&chain);
    // Not base64 / not a P7B at all: PMS_PRT_045.
    assert_eq!(decode_p7b_base64("%%%").unwrap_err().code(), "PMS_PRT_045");
    assert_eq!(
        decode_p7b(chain[0].der()).unwrap_err().code(),
        "PMS_PRT_045"
    );
    // Truncated: PMS_PRT_045.
    assert_eq!(
        decode_p7b(&der[..der.len() - 5]).unwrap_err().code(),
        "PMS_PRT_045"
    );
    // A certificate inside is damaged (its signature byte flipped keeps it parseable, so
    // damage the outer tag of the first certificate's TBS instead): PMS_PRT_046.
    let first_cert_at = der
        .windows(chain[0].der().len())
        .position(|w| w == chain[0].der())
        .expect("first cert inside");
    der[first_cert_at + 4] = 0x31;
    let err = decode_p7b(&der).unwrap_err();
    assert!(
        matches!(err, P7bError::InvalidCertificate { index: 0, .. }),
        "{err}"
    );
    assert_eq!(err.code(), "PMS_PRT_046");
    assert_eq!(
        err.message(),
        "Error occured while extracting the leaf cert."
    );
    assert_eq!(
        p7b_leaf(&encode_p7b(&[])).unwrap_err().code(),
        "PMS_PRT_046"
    );
}

#[test]
fn certificate_serde_is_pem() {
    let movp = fixture("apitest-credential/partner.movp.pem");
    let json = serde_json::to_string(&movp).expect("serialize");
    assert!(json.starts_with("\"-----BEGIN CERTIFICATE-----\\n"));
    let back: Certificate = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, movp);
    assert!(serde_json::from_str::<Certificate>("\"garbage\"").is_err());
    let err: CertificateError = Certificate::parse_any("garbage").unwrap_err();
    assert!(matches!(err, CertificateError::Der(_)), "{err:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Certificate::from_der(&bytes);
        let _ = decode_p7b(&bytes);
        let _ = p7b_leaf(&bytes);
    }

    #[test]
    fn arbitrary_strings_never_panic(text in ".{0,512}") {
        let _ = Certificate::parse_any(&text);
        let _ = Certificate::from_pem(&text);
        let _ = parse_pem_bundle(&text);
        let _ = decode_p7b_base64(&text);
    }

    #[test]
    fn pem_like_strings_never_panic(body in "[A-Za-z0-9+/=_\\- \n\\\\]{0,400}", label in "(CERTIFICATE|X509 CERTIFICATE|PKCS7|)") {
        let text = format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n");
        let _ = Certificate::from_pem(&text);
        let _ = Certificate::parse_any(&body);
        let _ = parse_pem_bundle(&text);
    }

    #[test]
    fn mutated_p7b_never_panics(position in 0usize..4096, value in any::<u8>(), cut in 0usize..4096) {
        let mut der = encode_p7b(&movp_chain());
        let len = der.len();
        der[position % len] = value;
        der.truncate(len - cut % len);
        let _ = decode_p7b(&der);
    }

    #[test]
    fn mutated_certificate_never_panics(position in 0usize..2048, value in any::<u8>()) {
        let movp = fixture("apitest-credential/partner.movp.pem");
        let mut der = movp.der().to_vec();
        let len = der.len();
        der[position % len] = value;
        if let Ok(cert) = Certificate::from_der(&der) {
            let _ = cert.verify_issued_by(&movp);
            let _ = check_partner_certificate(&cert, &TrustStore::new(), "movp", NOW);
        }
    }
}
