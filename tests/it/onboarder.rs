//! MOSIP's partner onboarder (`mosip/mosip-onboarding` v1.2.0.1) run against pmsflow.
//!
//! `tests/apitest/onboarder.json` (rebuilt by `tests/apitest/generate.py --onboarding`) holds
//! what `default.sh` does for each `$MODULE`: the functions it calls, their `--env-var`s and the
//! postman requests their `--folder`s select, in the order newman runs them, with what each
//! request's postman test saves and asserts. Every module runs here in `default.sh`'s order
//! against one pmsflow (API, workers, sandbox) seeded with MOSIP's DML (`pmsflow seed`), as a
//! fresh MOSIP installation runs the onboarder once per module.
//!
//! - **PMS requests** (`/v1/partnermanager`, `/v1/policymanager`) are sent as newman sends them:
//!   the postman body with its `{{variables}}` filled, the caller's token in the
//!   `Authorization` cookie. Their postman tests are applied as written: the answer must
//!   contain one of the texts of each `include` assertion, and every variable a test saves
//!   from `response.<field>` must be there (reading a field of a null `response` throws, which
//!   with `--bail` stops the run). Requests without a test must answer without `errors` too,
//!   so that the end state is checked: each module's partner is active with its re-signed
//!   certificate, its policy mapping approved and its licence key, OIDC client or API key
//!   issued.
//! - **Other services** are not pmsflow's: Keycloak (the user the onboarder creates is the token
//!   pmsflow's dev issuer mints for it, with the roles `assign-role-to-user` gives:
//!   PARTNER_ADMIN and AUTH_PARTNER), authmanager (a token for the user or client), the
//!   keymanager, IDA and eSignet certificate downloads (one test PKI per service, built with
//!   rcgen: a ROOT, per-application intermediates and per-reference leaves whose `O=` is the
//!   organisation MOSIP's DML gives the partner), uploads of the re-signed certificate back to
//!   IDA, the keymanager or eSignet, and `mkjwk.org` (an RSA key made here). Each is named in
//!   the report.
//! - **MOSIP's own certificates** (`certs/print`, `certs/abis`, `certs/mpartner-default-mobile`,
//!   copied to `tests/apitest/onboarder-certs/`) are uploaded unchanged. The mobile pair expires
//!   on 2027-02-25, under the 335 days the keymanager requires of a partner certificate: as in
//!   1.2.0.1 its upload answers `KER-PCM-004` and newman stops the module there
//!   ([`EXPECTED_STOPS`]).

use std::collections::HashMap;
use std::fmt::Write as _;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use pmsflow_core::envelope::mosip_datetime;
use pmsflow_tests::TestApp;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
};
use reqwest::header::{CONTENT_TYPE, COOKIE};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde::Deserialize;
use serde_json::Value;
use sqlx::PgPool;
use time::OffsetDateTime;

const SCENARIO: &str = include_str!("../apitest/onboarder.json");

/// Where newman stops a module because 1.2.0.1 refuses MOSIP's own data: (module, request,
/// error code, why).
const EXPECTED_STOPS: &[(&str, &str, &str, &str)] = &[(
    "mobileid",
    "upload-leaf-certificate",
    "KER-PCM-004",
    "certs/mpartner-default-mobile/client.pem expires on 2027-02-25, under the 335 days 1.2.0.1's \
     keymanager requires",
)];

#[derive(Deserialize)]
struct Scenario {
    modules: Vec<Module>,
    #[serde(rename = "policyData")]
    policy_data: HashMap<String, Value>,
}

#[derive(Deserialize)]
struct Module {
    module: String,
    variables: HashMap<String, String>,
    calls: Vec<Call>,
}

#[derive(Deserialize)]
struct Call {
    function: String,
    env: HashMap<String, String>,
    #[serde(rename = "policyData")]
    policy_data: Option<String>,
    certificates: HashMap<String, String>,
    requests: Vec<Request>,
}

#[derive(Deserialize)]
struct Request {
    name: String,
    method: String,
    url: String,
    service: String,
    body: Option<String>,
    saves: Vec<Save>,
    includes: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct Save {
    variable: String,
    from: String,
}

/// A certificate authority of a MOSIP service this test stands in for (keymanager, eSignet):
/// its ROOT, an intermediate per application id and a leaf per (application, reference).
struct ServicePki {
    name: &'static str,
    root: (rcgen::Certificate, CertificateParams, KeyPair),
    apps: HashMap<String, (String, CertificateParams, KeyPair)>,
}

impl ServicePki {
    fn new(name: &'static str) -> Self {
        let key = KeyPair::generate().expect("key");
        let params = ca_params(&format!("{name} ROOT"), "IITB");
        let cert = params.self_signed(&key).expect("root");
        Self {
            name,
            root: (cert, params, key),
            apps: HashMap::new(),
        }
    }

    fn root_pem(&self) -> String {
        self.root.0.pem()
    }

    fn app(&mut self, app: &str) -> String {
        let name = self.name;
        let root = &self.root;
        let entry = self.apps.entry(app.to_owned()).or_insert_with(|| {
            let key = KeyPair::generate().expect("key");
            let params = ca_params(&format!("{name} {app}"), "IITB");
            let issuer = Issuer::new(root.1.clone(), &root.2);
            let cert = params
                .clone()
                .signed_by(&key, &issuer)
                .expect("intermediate");
            (cert.pem(), params, key)
        });
        entry.0.clone()
    }

    fn leaf(&mut self, app: &str, reference: &str, org: &str) -> String {
        self.app(app);
        let (_, params, key) = &self.apps[app];
        let issuer = Issuer::new(params.clone(), key);
        let leaf_key = KeyPair::generate().expect("key");
        let mut leaf = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, reference);
        dn.push(DnType::OrganizationName, org);
        leaf.distinguished_name = dn;
        let now = OffsetDateTime::now_utc();
        leaf.not_before = now - time::Duration::days(1);
        leaf.not_after = now + time::Duration::days(730);
        leaf.signed_by(&leaf_key, &issuer).expect("leaf").pem()
    }
}

fn ca_params(cn: &str, org: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, org);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let now = OffsetDateTime::now_utc();
    p.not_before = now - time::Duration::days(1);
    p.not_after = now + time::Duration::days(3650);
    p
}

/// What create-signing-certs.sh makes for a relying party: a root and a client, `O=IITB`.
fn signing_certs(partner: &str) -> (String, String) {
    let root_key = KeyPair::generate().expect("key");
    let root = ca_params(&format!("{partner}-Root"), "IITB");
    let root_cert = root.self_signed(&root_key).expect("root");
    let issuer = Issuer::new(root, root_key);
    let key = KeyPair::generate().expect("key");
    let mut client = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("{partner}-Client"));
    dn.push(DnType::OrganizationName, "IITB");
    client.distinguished_name = dn;
    let now = OffsetDateTime::now_utc();
    client.not_before = now - time::Duration::days(1);
    client.not_after = now + time::Duration::days(1825);
    let client_cert = client.signed_by(&key, &issuer).expect("client");
    (root_cert.pem(), client_cert.pem())
}

/// The `n` of a fresh 2048-bit RSA key, base64url: what create-jwks.sh, convert.sh and
/// mkjwk.org hand the onboarder as a relying party's public key.
fn rsa_modulus() -> String {
    let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA");
    URL_SAFE_NO_PAD.encode(key.n().to_bytes_be())
}

/// A PEM as default.sh's awk makes it: one line, `\n` written out (it sits in a JSON string).
fn inline(pem: &str) -> String {
    pem.trim_end().replace("\r", "").replace('\n', "\\n")
}

/// The organisation MOSIP's DML (`seeds/mosip_pms/pms-partner.csv`) gives a default partner.
fn dml_organisation(partner: &str) -> &'static str {
    match partner {
        "mpartner-default-print" => "IIITB",
        "mpartner-default-abis" => "mpartner-default-abis",
        "mpartner-default-mobile" => "residentapp-partner",
        _ => "IITB",
    }
}

/// default.sh's `$( printenv name )` values of the deployment (its hosts), and the shell's
/// `\/` escapes, as the shell hands them to newman.
fn deployment(value: &str) -> String {
    let mut v = value.replace("\\/", "/");
    for (name, host) in [
        ("installation-domain", "sandbox.mosip.net"),
        ("mosip-resident-host", "resident.sandbox.mosip.net"),
        ("mosip-api-internal-host", "api-internal.sandbox.mosip.net"),
        ("mosip-api-host", "api.sandbox.mosip.net"),
    ] {
        v = v.replace(&format!("{{printenv:{name}}}"), host);
    }
    v
}

/// One module's newman run: its variables and its cookie jar's token.
struct Run {
    vars: HashMap<String, String>,
    token: Option<String>,
    n: usize,
}

impl Run {
    /// `{{name}}` and postman's dynamic `{{$…}}` variables, resolved recursively (a variable's
    /// value may hold variables, as `policy-data` does).
    fn fill(&mut self, text: &str) -> String {
        let mut out = text.to_owned();
        for _ in 0..4 {
            let mut next = String::new();
            let mut rest = out.as_str();
            while let Some(start) = rest.find("{{") {
                let Some(len) = rest[start + 2..].find("}}") else {
                    break;
                };
                let name = &rest[start + 2..start + 2 + len];
                next.push_str(&rest[..start]);
                self.n += 1;
                let n = self.n;
                let value = match name {
                    "$isoTimestamp" => Some(mosip_datetime(OffsetDateTime::now_utc())),
                    "$randomStreetAddress" => Some(format!("{n} Main Road")),
                    "$randomPhoneNumber" => Some(format!("98450{n:05}")),
                    "$randomEmail" | "$randomExampleEmail" => {
                        Some(format!("{}-{n}@example.org", uuid::Uuid::new_v4().simple()))
                    }
                    "$randomFirstName" => Some("Asha".into()),
                    "$randomLastName" => Some("Rao".into()),
                    other => self.vars.get(other).cloned(),
                };
                match value {
                    Some(v) => next.push_str(&v),
                    None => next.push_str(&rest[start..start + 2 + len + 2]),
                }
                rest = &rest[start + 2 + len + 2..];
            }
            next.push_str(rest);
            if next == out {
                break;
            }
            out = next;
        }
        out
    }
}

/// The outcome of one module.
struct Outcome {
    log: Vec<String>,
    failures: Vec<String>,
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn mosip_onboarder_runs_every_module(pool: PgPool) {
    let scenario: Scenario = serde_json::from_str(SCENARIO).expect("onboarder.json");
    let app = TestApp::spawn(pool).await;
    pmsflow::seed::seed(&app.pool, &app.settings.pms)
        .await
        .expect("seed");

    let mut keymanager = ServicePki::new("keymanager");
    let mut esignet = ServicePki::new("esignet");
    let mut report = String::new();
    let mut failures = 0;
    let mut pms_requests = 0;
    for module in &scenario.modules {
        let out = run_module(
            &app,
            module,
            &scenario,
            &mut keymanager,
            &mut esignet,
            &mut pms_requests,
        )
        .await;
        let _ = writeln!(
            report,
            "\n== MODULE={} ({} failures)",
            module.module,
            out.failures.len()
        );
        for line in &out.log {
            let _ = writeln!(report, "   {line}");
        }
        for f in &out.failures {
            let _ = writeln!(report, "   ✗ {f}");
        }
        failures += out.failures.len();
    }
    let _ = writeln!(
        report,
        "\nMOSIP onboarder: {} modules, {pms_requests} PMS requests, {failures} failures",
        scenario.modules.len()
    );
    println!("{report}");
    assert_eq!(failures, 0, "the onboarder failed (see the report above)");

    // The end state default.sh leaves behind, read back from pmsflow's database.
    for (partner, active) in [
        ("mpartner-default-auth", true),
        ("mpartner-default-print", true),
        ("mpartner-default-abis", true),
        ("mpartner-default-resident", true),
        ("mpartner-default-digitalcard", true),
        ("mpartner-default-esignet", true),
        ("mpartner-default-demo-oidc", true),
        ("mpartner-default-mimotokeybinding", true),
    ] {
        let cert: Option<Option<String>> =
            sqlx::query_scalar("SELECT certificate_alias FROM partner WHERE id = $1")
                .bind(partner)
                .fetch_optional(&app.pool)
                .await
                .expect("partner");
        assert!(
            matches!(cert, Some(Some(_))),
            "{partner} has no certificate: {cert:?}"
        );
        let is_active: bool = sqlx::query_scalar("SELECT is_active FROM partner WHERE id = $1")
            .bind(partner)
            .fetch_one(&app.pool)
            .await
            .expect("partner");
        assert_eq!(is_active, active, "{partner}");
    }
}

#[allow(clippy::too_many_lines)]
async fn run_module(
    app: &TestApp,
    module: &Module,
    scenario: &Scenario,
    keymanager: &mut ServicePki,
    esignet: &mut ServicePki,
    pms_requests: &mut usize,
) -> Outcome {
    let mut out = Outcome {
        log: Vec::new(),
        failures: Vec::new(),
    };
    'calls: for call in &module.calls {
        let mut run = Run {
            vars: HashMap::new(),
            token: None,
            n: 0,
        };
        // --env-var values, with default.sh's shell variables substituted.
        let partner = module
            .variables
            .get("PARTNER_KC_USERNAME")
            .cloned()
            .or_else(|| call.env.get("partner-kc-username").cloned())
            .unwrap_or_default();
        let certs = match (
            call.certificates.get("root_ca_cert"),
            call.certificates.get("partner_cert"),
        ) {
            (Some(root), Some(leaf)) if root.starts_with("onboarder-certs/") => {
                let read = |f: &str| {
                    std::fs::read_to_string(format!("{}/apitest/{f}", env!("CARGO_MANIFEST_DIR")))
                        .expect("onboarder certificate")
                        .trim_end()
                        .to_owned()
                };
                Some((read(root), read(leaf)))
            }
            _ if call.env.get("ca-certificate").map(String::as_str) == Some("$root_ca_cert") => {
                let (root, leaf) = signing_certs(&partner);
                Some((inline(&root), inline(&leaf)))
            }
            _ => None,
        };
        for (k, v) in &call.env {
            let value = match v.as_str() {
                "$URL" => app.api.trim_end_matches('/').to_owned(),
                "$EXTERNAL_URL" => "https://api.sandbox.mosip.net".to_owned(),
                "$DATE" => mosip_datetime(OffsetDateTime::now_utc()),
                "$root_ca_cert" => certs.as_ref().map(|c| c.0.clone()).unwrap_or_default(),
                "$partner_cert" => certs.as_ref().map(|c| c.1.clone()).unwrap_or_default(),
                // create-jwks.sh / convert.sh: the `n` of the relying party's RSA key.
                "$jwk_key" => rsa_modulus(),
                s if s.starts_with('$') => module
                    .variables
                    .get(&s[1..])
                    .map_or_else(|| s.to_owned(), |v| deployment(v)),
                s => s.to_owned(),
            };
            run.vars.insert(k.clone(), value);
        }
        if let Some(file) = &call.policy_data {
            let row = &scenario.policy_data[file][0];
            run.vars.insert("policy-data".into(), row.to_string());
        }
        out.log.push(format!("{}:", call.function));

        for req in &call.requests {
            let kc_user = run
                .vars
                .get("partner-manager-username")
                .cloned()
                .unwrap_or_else(|| partner.clone());
            // Services that are not pmsflow's.
            let stand_in = match (req.service.as_str(), req.name.as_str()) {
                ("keycloak", name) => Some(format!("Keycloak {name}: the IdP's job")),
                ("authmanager", "authenticate-as-cert-manager") => {
                    let client = run
                        .vars
                        .get("cert-manager-username")
                        .cloned()
                        .unwrap_or_else(|| "mosip-deployment-client".into());
                    run.token = Some(app.token(&client, &["PARTNER_ADMIN"]));
                    Some(format!(
                        "authmanager clientidsecretkey: token of {client} (PARTNER_ADMIN)"
                    ))
                }
                ("authmanager", "authenticate-as-partner-for-api-key") => {
                    run.token = Some(app.token(&partner, &["PARTNER_ADMIN", "AUTH_PARTNER"]));
                    Some(format!("authmanager useridPwd: token of {partner}"))
                }
                ("authmanager", _) => {
                    run.token = Some(app.token(&kc_user, &["PARTNER_ADMIN", "AUTH_PARTNER"]));
                    Some(format!(
                        "authmanager useridPwd: token of {kc_user} (PARTNER_ADMIN, AUTH_PARTNER)"
                    ))
                }
                ("ida" | "keymanager", name) if name.starts_with("download") => {
                    let app_id = run
                        .vars
                        .get("cert-application-id")
                        .cloned()
                        .unwrap_or_default();
                    let reference = run
                        .vars
                        .get("cert-reference-id")
                        .cloned()
                        .unwrap_or_default();
                    let (var, pem) = match name {
                        "download-ca-certificate-from-keymanager" => {
                            ("ca-certificate", keymanager.root_pem())
                        }
                        "download-intermediate-resident-certificate-from-keymanager" => {
                            ("intermediate-cert", keymanager.app(&app_id))
                        }
                        _ if app_id == "ROOT" => ("ca-certificate", keymanager.root_pem()),
                        _ if reference.is_empty() => ("ca-certificate", keymanager.app(&app_id)),
                        _ => {
                            let org = dml_organisation(&partner);
                            (
                                "leaf-certificate",
                                keymanager.leaf(&app_id, &reference, org),
                            )
                        }
                    };
                    run.vars.insert(var.into(), inline(&pem));
                    Some(format!(
                        "{} {name}: {var} of {app_id}/{reference} (test PKI)",
                        req.service
                    ))
                }
                ("esignet", name) if name.starts_with("download") => {
                    let (var, pem) = match name {
                        "download-esignet-root-certificate" => {
                            ("ca-certificate", esignet.root_pem())
                        }
                        "download-esignet-leaf-certificate" => {
                            ("intermediate-cert", esignet.app("OIDC_SERVICE"))
                        }
                        _ => (
                            "leaf-certificate",
                            esignet.leaf(
                                "OIDC_SERVICE",
                                "OIDC_PARTNER",
                                dml_organisation(&partner),
                            ),
                        ),
                    };
                    run.vars.insert(var.into(), inline(&pem));
                    Some(format!("eSignet {name}: {var} (test PKI)"))
                }
                ("keymanager", "get-keyid-from-keymanager") => {
                    run.vars
                        .insert("keyid".into(), uuid::Uuid::new_v4().to_string());
                    Some("keymanager getAllCertificates: a key id".into())
                }
                ("external", "get-jwks") => {
                    run.vars.insert("key".into(), rsa_modulus());
                    run.vars
                        .insert("keyid".into(), uuid::Uuid::new_v4().to_string());
                    Some("mkjwk.org: an RSA key made here".into())
                }
                (service, name) if !service.starts_with("pms") => {
                    Some(format!("{service} {name}: not a PMS endpoint"))
                }
                _ => None,
            };
            if let Some(note) = stand_in {
                out.log.push(format!("  · {note}"));
                continue;
            }
            // create-jwks.sh / convert.sh: the `n` of an RSA key, before newman.
            if req.name == "create-oidc-client" && !run.vars.contains_key("key") {
                run.vars.insert("key".into(), rsa_modulus());
            }

            *pms_requests += 1;
            let url = run.fill(&req.url);
            let body = req.body.as_ref().map(|b| run.fill(b));
            let token = run.token.clone().unwrap_or_default();
            let mut http = app
                .http
                .request(
                    reqwest::Method::from_bytes(req.method.as_bytes()).expect("method"),
                    &url,
                )
                .header(COOKIE, format!("Authorization={token}"));
            if let Some(b) = &body {
                http = http
                    .header(CONTENT_TYPE, "application/json")
                    .body(b.clone());
            }
            let resp = http.send().await.expect("request");
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let errors: Vec<String> = json["errors"]
                .as_array()
                .map(|e| {
                    e.iter()
                        .map(|e| e["errorCode"].as_str().unwrap_or("?").to_owned())
                        .collect()
                })
                .unwrap_or_default();
            out.log.push(format!(
                "  {} {} → HTTP {status}{}",
                req.method,
                url.trim_start_matches(app.api.trim_end_matches('/')),
                if errors.is_empty() {
                    String::new()
                } else {
                    format!(" {errors:?}")
                }
            ));
            if let Some((_, _, code, why)) = EXPECTED_STOPS
                .iter()
                .find(|(m, r, _, _)| *m == module.module && *r == req.name)
            {
                if errors.first().map(String::as_str) == Some(*code) {
                    out.log.push(format!(
                        "  ■ newman stops here, as with 1.2.0.1: {code} ({why})"
                    ));
                } else {
                    out.failures
                        .push(format!("{}: expected {code} ({why}), got {text}", req.name));
                }
                break 'calls;
            }
            let mut problems = Vec::new();
            if status >= 500 {
                problems.push(format!("HTTP {status}"));
            }
            // A request whose postman test names the texts it accepts is judged by them (the
            // CA uploads accept "Certificate already exists in store", i.e. KER-PCM-003); any
            // other must answer without errors.
            if req.includes.is_empty() && !errors.is_empty() {
                problems.push(format!("errors {errors:?}"));
            }
            for any in &req.includes {
                if !any.iter().any(|t| text.contains(t.as_str())) {
                    problems.push(format!("the answer contains none of {any:?}"));
                }
            }
            // create-oidc-client saves the client id under the name of the module's partner.
            let saves = req.saves.iter().filter(|s| {
                req.name != "create-oidc-client" || s.variable.starts_with(partner.as_str())
            });
            for save in saves {
                let field = save.from.trim_start_matches("response.");
                match &json["response"][field] {
                    Value::Null => {
                        problems.push(format!("no {} to save as {}", save.from, save.variable))
                    }
                    Value::String(s) => {
                        run.vars.insert(save.variable.clone(), s.clone());
                    }
                    other => {
                        run.vars.insert(save.variable.clone(), other.to_string());
                    }
                }
            }
            if !problems.is_empty() {
                out.failures.push(format!(
                    "{} {} {}: {} — {}",
                    call.function,
                    req.name,
                    body.as_deref().map(|b| clip(b, 300)).unwrap_or_default(),
                    problems.join("; "),
                    clip(&text, 600)
                ));
                // --bail: newman stops the function's run at the first failed test.
                break 'calls;
            }
        }
    }
    out
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}
