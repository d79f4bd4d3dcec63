//! Start-up refusals of the real `pmsflow` binary (`cargo build --bin pmsflow` first;
//! `scripts/test.sh` does): development settings on a public address, a mistyped
//! `PMSFLOW_` variable, IdP mode without issuer or audience, MOSIP mode with a missing URL.
//!
//! Each child runs with a clean environment and a database URL nobody listens on, so a
//! refusal that stopped happening ends the child at once on the database (and the test fails
//! on its message) instead of serving.

use std::process::{Command, Output};

use pmsflow_store::config::{check_env_names, Settings};
use pmsflow_tests::pmsflow_binary;

/// A database URL that refuses connections at once (nothing listens on port 1).
const NO_DATABASE: &str = "postgres://postgres@127.0.0.1:1/pmsflow_startup";

/// Run `pmsflow <args>` with only `env` (and a database nobody listens on) set.
fn pmsflow(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(pmsflow_binary())
        .args(args)
        .env_clear()
        .env("PMSFLOW_CONFIG", "/nonexistent/pmsflow.toml")
        .env("PMSFLOW_DATABASE__URL", NO_DATABASE)
        .envs(env.iter().copied())
        .output()
        .expect("run pmsflow")
}

/// The child's stderr, asserting it failed.
fn refused(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "pmsflow started: {stderr}");
    stderr
}

#[test]
fn the_sandbox_on_a_public_bind_is_refused_without_dev() {
    let env = [("PMSFLOW_API__BIND", "0.0.0.0:18080")];
    let stderr = refused(&pmsflow(&["serve"], &env));
    assert!(
        stderr.contains("mosip.mode")
            && stderr.contains("0.0.0.0:18080")
            && stderr.contains("pass --dev"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("database.url"),
        "refused before the database: {stderr}"
    );

    // With --dev it goes on (to the database, which is not there) after the banner.
    let stderr = refused(&pmsflow(&["serve", "--dev"], &env));
    assert!(stderr.contains("DEVELOPMENT MODE"), "{stderr}");
    assert!(stderr.contains("database.url"), "{stderr}");
    assert!(!stderr.contains("pass --dev"), "{stderr}");

    // The same decision, as a function.
    let mut settings = Settings::defaults().expect("defaults");
    settings.api.bind = "0.0.0.0:18080".into();
    assert!(settings.dev_exposure(false).is_err());
    let banner = settings
        .dev_exposure(true)
        .expect("--dev accepts")
        .expect("banner");
    assert!(banner.starts_with("DEVELOPMENT MODE"), "{banner}");
    settings.api.bind = "127.0.0.1:18080".into();
    assert!(settings.dev_exposure(false).expect("loopback").is_some());
}

#[test]
fn a_mistyped_variable_is_refused_naming_the_nearest() {
    let stderr = refused(&pmsflow(
        &["serve"],
        &[("PMSFLOW_MOSIP_KEYMANAGER_URL", "https://km.example.org")],
    ));
    assert!(
        stderr.contains(
            "unknown environment variable PMSFLOW_MOSIP_KEYMANAGER_URL; did you mean PMSFLOW_MOSIP__KEYMANAGER_URL?"
        ),
        "{stderr}"
    );
    let stderr = refused(&pmsflow(
        &["migrate"],
        &[("PMSFLOW_SHARED_DIRECTORY", "/x")],
    ));
    assert!(
        stderr.contains("did you mean PMSFLOW_SHARED_DIR?"),
        "{stderr}"
    );
    assert!(check_env_names(["PMSFLOW_SHARED_DIR", "PMSFLOW_MOSIP__KEYMANAGER_URL"]).is_ok());
}

#[test]
fn jwks_mode_without_issuer_or_audience_is_refused() {
    let mut env = vec![
        ("PMSFLOW_AUTH__MODE", "jwks"),
        (
            "PMSFLOW_AUTH__JWKS_URL",
            "https://iam.example.org/auth/realms/mosip/protocol/openid-connect/certs",
        ),
    ];
    let stderr = refused(&pmsflow(&["serve"], &env));
    assert!(stderr.contains("auth.issuer"), "{stderr}");
    env.push((
        "PMSFLOW_AUTH__ISSUER",
        "https://iam.example.org/auth/realms/mosip",
    ));
    let stderr = refused(&pmsflow(&["serve"], &env));
    assert!(stderr.contains("auth.audience"), "{stderr}");
    env.push(("PMSFLOW_AUTH__AUDIENCE", "[mosip-pms-client]"));
    env.push(("PMSFLOW_AUTH__JWKS_URL", "http://iam.example.org/certs"));
    let stderr = refused(&pmsflow(&["serve"], &env));
    assert!(stderr.contains("auth.jwks_url"), "{stderr}");
}

#[test]
fn mosip_mode_with_an_empty_url_is_refused() {
    let mut env = vec![
        ("PMSFLOW_MOSIP__MODE", "mosip"),
        ("PMSFLOW_AUTH__DEV_SECRET", "a-secret-of-our-own-0123"),
        ("PMSFLOW_MOSIP__AUTHMANAGER_URL", "https://am.example.org"),
        ("PMSFLOW_MOSIP__KEYMANAGER_URL", "https://km.example.org"),
        ("PMSFLOW_MOSIP__DATASHARE_URL", "https://ds.example.org"),
        ("PMSFLOW_MOSIP__WEBSUB_URL", "https://hub.example.org/hub/"),
        ("PMSFLOW_MOSIP__AUDITMANAGER_URL", "https://au.example.org"),
        ("PMSFLOW_MOSIP__ESIGNET_URL", "https://es.example.org"),
    ];
    let stderr = refused(&pmsflow(&["serve"], &env));
    assert!(
        stderr.contains("mosip.notifier_url") && stderr.contains("mosip.mode = \"mosip\""),
        "{stderr}"
    );

    // A MOSIP URL in sandbox mode is a contradiction naming both keys.
    env.retain(|(k, _)| *k != "PMSFLOW_MOSIP__MODE");
    let stderr = refused(&pmsflow(&["serve"], &env));
    assert!(
        stderr.contains("mosip.mode") && stderr.contains("mosip.authmanager_url"),
        "{stderr}"
    );
}

#[test]
fn a_ca_file_must_hold_certificates() {
    let dir = std::env::temp_dir().join(format!("pmsflow-ca-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (root, leaf) = pmsflow_tests::fresh_chain("ca-file-org");
    let bundle = dir.join("bundle.pem");
    std::fs::write(&bundle, format!("{root}\n{leaf}")).unwrap();
    let certs =
        pmsflow::serve::ca_bundle("mosip.ca_file", bundle.to_str().unwrap()).expect("a PEM bundle");
    assert_eq!(certs.len(), 2);
    assert!(pmsflow::serve::ca_bundle("auth.ca_file", "")
        .unwrap()
        .is_empty());

    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "no certificate here\n").unwrap();
    let missing = dir.join("missing.pem");
    for path in [&empty, &missing] {
        let err = pmsflow::serve::ca_bundle("auth.ca_file", path.to_str().unwrap()).unwrap_err();
        assert!(format!("{err:#}").contains("auth.ca_file"), "{err:#}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_standalone_sandbox_on_a_public_bind_is_refused_without_dev() {
    let stderr = refused(&pmsflow(&["sandbox", "--bind", "0.0.0.0:19199"], &[]));
    assert!(
        stderr.contains("not loopback") && stderr.contains("--dev"),
        "{stderr}"
    );
}
