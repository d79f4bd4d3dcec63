//! Replays MOSIP's own API test cases for Partner Management Services against a running pmsflow.
//!
//! The cases are `tests/apitest/cases.json`, rebuilt by `tests/apitest/generate.py` from MOSIP's
//! api-test rig (`github.com/mosip/partner-management-services`, `api-test/`, every yml file of
//! the partner and pms trees; see `tests/apitest/README.md`). Cases that cannot apply to PMS
//! 1.2.0.1 carry `excluded` with its class and reason; all the others run, in suite order,
//! against one pmsflow (API, workers, sandbox) on one fresh database seeded with MOSIP's DML.
//!
//! - **Requests are built as the rig builds them** (README §3). Path parameters go into the
//!   endpoint, and the rest is the JSON body. `$TIMESTAMP$` becomes the current time.
//!   `$ID:…$` becomes the value an earlier case saved (`savesId`). The token of the case's
//!   `role` (README §4) is sent as the `Authorization` cookie, as the rig sends it.
//! - **Responses are compared as the rig compares them** (README §3.4, `OutputValidationUtil`).
//!   Both sides are flattened, and every expected leaf must exist and be equal as a string.
//!   `$IGNORE$` skips a leaf, and `$TIMESTAMP$` only checks the format. Errors compare only
//!   `errors[*].errorCode`. `{"noErrors":true}` means `errors` is absent or empty. The HTTP
//!   status is not compared, except that pmsflow must never answer 5xx.
//! - **State the cases assume but do not contain** (README §5) is set up through the API just
//!   before the first case that needs it ([`PREPS`]).
//! - **Cases with a `versionNote`** expect what MOSIP 1.2.0.1 answers, or what every PMS version
//!   answers where MOSIP's data is wrong; the generator put that expectation in `output` and
//!   MOSIP's in `mosipOutput` (decisions.json keeps the reasons).
//!
//! Every mismatch is collected. At the end the test prints the counts per tree (replayed,
//! passed, excluded by class) and fails if any case (or any prerequisite) failed. Events and
//! e-mails are asynchronous and not compared, so nothing waits for them.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use pmsflow_core::envelope::{mosip_datetime, MOSIP_DATETIME};
use pmsflow_tests::{fresh_chain, TestApp};
use reqwest::header::{CONTENT_TYPE, COOKIE};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::PgPool;
use time::OffsetDateTime;

const CASES: &str = include_str!("../apitest/cases.json");

/// One case of `cases.json` (only the fields the replay uses).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Case {
    seq: u32,
    uid: String,
    tree: String,
    method: String,
    endpoint: String,
    role: String,
    #[serde(default)]
    path_params: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    query_params: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    body: Option<Value>,
    /// `None`: the rig sends the case but has nothing to compare (README §3.4).
    output: Option<Value>,
    #[serde(default)]
    saves_id: Option<SavesId>,
    #[serde(default)]
    excluded: Option<Excluded>,
}

/// `excluded`: why a case does not apply to PMS 1.2.0.1 (generate.py and decisions.json).
#[derive(Debug, Deserialize)]
struct Excluded {
    class: String,
}

/// `savesId`: the placeholder a case fills and the response field it comes from.
#[derive(Debug, Deserialize)]
struct SavesId {
    placeholder: String,
    from: String,
}

/// The rig users of README §4: (user id, realm roles). `admin` and `temp` hold no PMS role.
fn identity(role: &str) -> Option<(&'static str, &'static [&'static str])> {
    Some(match role {
        // Partner admin of the legacy tree. generate-apikey needs user id == partner-111997.
        "partner" => (
            "partner-111997",
            &["PARTNER_ADMIN", "POLICYMANAGER", "AUTH_PARTNER"],
        ),
        "policytest" => ("policytest", &["POLICYMANAGER"]),
        "admin" => ("globaladmin", &["GLOBAL_ADMIN"]),
        "temp" => ("temp", &[]),
        "partneradmin" => ("pms-partneradmin", &["PARTNER_ADMIN"]),
        // PARTNER_ADMIN too: Pms_partnerPolicyMapping_invalid_partnerId expects PMS_PRT_005.
        "partnerauth" => ("pms-111999", &["AUTH_PARTNER", "PARTNER_ADMIN"]),
        "partnerdevice" => ("pms-111998", &["DEVICE_PROVIDER"]),
        "partnerftm" => ("pms-111888", &["FTM_PROVIDER"]),
        _ => return None,
    })
}

/// A syntactically valid JWT that no key signed (role `invalidtoken`).
const GARBAGE_TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
eyJzdWIiOiJub2JvZHkiLCJwcmVmZXJyZWRfdXNlcm5hbWUiOiJub2JvZHkiLCJleHAiOjQxMDI0NDQ4MDB9.\
c2lnbmF0dXJlLXRoYXQtbm8ta2V5LW1hZGU";

/// A §5 prerequisite, run just before the case whose uid is given in [`PREPS`].
enum Prep {
    /// Upload a fresh CA (root) and a partner certificate with `O=org`, so the partner becomes
    /// active (1.2.0.1 activates a partner on its certificate upload). `ca_role` and
    /// `leaf_role` are the rig roles that upload the CA and the partner certificate.
    Activate {
        partner: &'static str,
        org: &'static str,
        domain: &'static str,
        ca_role: &'static str,
        leaf_role: &'static str,
    },
    /// Upload a fresh CA (root, in `domain`) and an FTM chip certificate it issued with
    /// `O=org` for the chip that `chip` (an `$ID:…$` placeholder) names, as its FTM provider
    /// `provider` (role `role`) would.
    ChipCertificate {
        chip: &'static str,
        provider: &'static str,
        org: &'static str,
        domain: &'static str,
        ca_role: &'static str,
        role: &'static str,
    },
    /// `PUT /policies/group/{id}` with `isActive:false` for the group the case `uid` created.
    /// This is the 1.2.0.1 way to reach the state of the revamp suite's 1.2.2-only `PATCH`.
    DeactivateGroup {
        uid: &'static str,
        id: &'static str,
        role: &'static str,
    },
}

/// README §5: (uid of the first case that needs it, prerequisite).
const PREPS: &[(&str, Prep)] = &[
    // MOSIP's PMS_API_ABC_ORG certificates expire too soon for 1.2.0.1 (KER-PCM-004, see the
    // versionNote of Pms_UploadPartnerCert_All_Valid_Smoke): the revamp suite's auth, device and
    // FTM providers get a fresh chain of the same organisation, as its upload would have done.
    // The same for the FTM chip certificate of Pms_UploadCertificate_AllValid_smoke_ftpProviderId.
    (
        "pms/ApproveFTMChipDetail#Pms_ApproveFTMChipDetail_allValid_smoke",
        Prep::ChipCertificate {
            chip: "$ID:CreateFtmChipDetails_FtmProvider_AllValid_Smoke_sid_id$",
            provider: "pms-111888",
            org: "PMS_API_ABC_ORG",
            domain: "DEVICE",
            ca_role: "partneradmin",
            role: "partnerftm",
        },
    ),
    (
        "pms/GetCertificate#Pms_GetPartnerCert_All_Valid_Smoke",
        Prep::Activate {
            partner: "pms-111999",
            org: "PMS_API_ABC_ORG",
            domain: "AUTH",
            ca_role: "partneradmin",
            leaf_role: "partnerauth",
        },
    ),
    (
        "pms/GetCertificate#Pms_GetPartnerCert_All_Valid_Smoke",
        Prep::Activate {
            partner: "pms-111998",
            org: "PMS_API_ABC_ORG",
            domain: "DEVICE",
            ca_role: "partneradmin",
            leaf_role: "partnerdevice",
        },
    ),
    (
        "pms/GetCertificate#Pms_GetPartnerCert_All_Valid_Smoke",
        Prep::Activate {
            partner: "pms-111888",
            org: "PMS_API_ABC_ORG",
            domain: "FTM",
            ca_role: "partneradmin",
            leaf_role: "partnerftm",
        },
    ),
    // Pms_DefinePolicy_PolicyGrpInActive_InValid_Neg needs the group deactivated through the
    // revamp suite's 1.2.2-only PATCH (DeactivatePolicyGroupBeforePolicyCreation).
    (
        "pms/DefinePolicy#Pms_DefinePolicy_PolicyGrpInActive_InValid_Neg",
        Prep::DeactivateGroup {
            uid: "pms/DefinePolicyGroup#Pms_DefinePolicyGroup_All_Valid_DeleteBeforePolicyCreation_pms_sid",
            id: "$ID:DefinePolicyGroup_All_Valid_DeleteBeforePolicyCreation_pms_sid_id$",
            role: "partneradmin",
        },
    ),
];

/// One answer of pmsflow.
struct Answer {
    status: u16,
    body: Result<Value, String>,
}

impl Answer {
    fn show(&self) -> String {
        match &self.body {
            Ok(v) => format!("HTTP {} {}", self.status, clip(&v.to_string(), 1500)),
            Err(text) => format!("HTTP {} (not JSON) {}", self.status, clip(text, 600)),
        }
    }
}

/// A failed case or prerequisite.
struct Failure {
    seq: u32,
    uid: String,
    tree: String,
    request: String,
    expected: String,
    actual: String,
    reasons: Vec<String>,
}

/// The replay's state: the app, the tokens and the ids saved so far.
struct Replay<'a> {
    app: &'a TestApp,
    tokens: HashMap<&'static str, String>,
    ids: HashMap<String, String>,
}

impl Replay<'_> {
    fn token(&self, role: &str) -> &str {
        self.tokens
            .get(role)
            .unwrap_or_else(|| panic!("no rig user for role {role}"))
    }

    /// Replace `$TIMESTAMP$` and every `$ID:…$` inside strings; unknown ids are kept literally
    /// (as the rig would send them) and reported in `unresolved`.
    fn resolve(&self, v: &Value, now: &str, unresolved: &mut Vec<String>) -> Value {
        match v {
            Value::String(s) if s == "$TIMESTAMP$" => Value::String(now.to_owned()),
            Value::String(s) => Value::String(self.resolve_str(s, unresolved)),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.resolve(i, now, unresolved))
                    .collect(),
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, i)| (k.clone(), self.resolve(i, now, unresolved)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn resolve_str(&self, s: &str, unresolved: &mut Vec<String>) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("$ID:") {
            let Some(len) = rest[start + 4..].find('$') else {
                break;
            };
            let placeholder = &rest[start..start + 4 + len + 1];
            out.push_str(&rest[..start]);
            match self.ids.get(placeholder) {
                Some(value) => out.push_str(value),
                None => {
                    unresolved.push(placeholder.to_owned());
                    out.push_str(placeholder);
                }
            }
            rest = &rest[start + placeholder.len()..];
        }
        out.push_str(rest);
        out
    }

    /// Send one request as the rig does; the token goes in the `Authorization` cookie.
    async fn send(
        &self,
        method: &str,
        url: &reqwest::Url,
        role: &str,
        body: Option<&Value>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("HTTP method");
        let mut req = self
            .app
            .http
            .request(method, url.clone())
            .header(COOKIE, format!("Authorization={}", self.token(role)));
        if let Some(b) = body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(b.to_string());
        }
        match req.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let text = resp.text().await.unwrap_or_default();
                Answer {
                    status,
                    body: serde_json::from_str(&text).map_err(|_| text),
                }
            }
            Err(e) => Answer {
                status: 0,
                body: Err(format!("request failed: {e}")),
            },
        }
    }

    /// The URL of `endpoint` with its `{name}` segments filled (percent-encoded) and the query.
    fn url(
        &self,
        endpoint: &str,
        path: &BTreeMap<String, String>,
        query: &[(String, String)],
    ) -> reqwest::Url {
        let mut url = reqwest::Url::parse(&self.app.api).expect("API base URL");
        // Some endpoints carry their query in the yml (`/partners?partnerType=…`).
        let (endpoint, literal_query) = endpoint.split_once('?').unwrap_or((endpoint, ""));
        {
            let mut segments = url.path_segments_mut().expect("base URL");
            segments.clear();
            for seg in endpoint.trim_start_matches('/').split('/') {
                match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => segments.push(
                        path.get(name)
                            .unwrap_or_else(|| panic!("no path parameter {name} for {endpoint}")),
                    ),
                    None => segments.push(seg),
                };
            }
        }
        if !literal_query.is_empty() {
            url.set_query(Some(literal_query));
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// POST each (endpoint, role, request) in its envelope, in order; the first answer with
    /// errors (or an `$ID:…$` that was never saved) stops them: (request, answer, why).
    async fn post_all(
        &self,
        steps: [(&str, &str, Value); 2],
        now: &str,
        unresolved: &[String],
    ) -> Result<(), (String, String, String)> {
        for (endpoint, role, request) in steps {
            let url = self.url(endpoint, &BTreeMap::new(), &[]);
            let body = json!({
                "id": "string", "metadata": {}, "version": "string",
                "requesttime": now, "request": request,
            });
            let answer = self.send("POST", &url, role, Some(&body)).await;
            let mut problems = compare(Some(&json!({"noErrors": true})), &answer);
            problems.extend(unresolved.iter().map(|p| format!("{p} was never saved")));
            if !problems.is_empty() {
                return Err((
                    format!("POST {url} as {role}"),
                    answer.show(),
                    problems.join("; "),
                ));
            }
        }
        Ok(())
    }

    /// Run one §5 prerequisite; returns a failure if it did not work.
    async fn prep(&mut self, before: &Case, prep: &Prep, cases: &[Case]) -> Option<Failure> {
        let now = mosip_datetime(OffsetDateTime::now_utc());
        let envelope = |request: Value| {
            json!({
                "id": "string", "metadata": {}, "version": "string",
                "requesttime": now, "request": request,
            })
        };
        let fail = |what: String, request: String, actual: String, reason: String| Failure {
            seq: before.seq,
            uid: format!("prerequisite before {}: {what}", before.uid),
            tree: "prerequisites (README §5)".into(),
            request,
            expected: "no errors".into(),
            actual,
            reasons: vec![reason],
        };
        match prep {
            Prep::Activate {
                partner,
                org,
                domain,
                ca_role,
                leaf_role,
            } => {
                let what = format!("activate {partner} (certificate with O={org})");
                // A fresh chain per partner: its root is new to the trust store, so the CA
                // upload cannot collide with an earlier one.
                let (root, leaf) = fresh_chain(org);
                let steps = [
                    (
                        "/v1/partnermanager/partners/certificate/ca/upload",
                        *ca_role,
                        json!({"certificateData": root, "partnerDomain": domain}),
                    ),
                    (
                        "/v1/partnermanager/partners/certificate/upload",
                        *leaf_role,
                        json!({
                            "partnerId": partner, "certificateData": leaf,
                            "partnerDomain": domain,
                        }),
                    ),
                ];
                if let Err((request, actual, reason)) = self.post_all(steps, &now, &[]).await {
                    return Some(fail(what, request, actual, reason));
                }
                let active: Option<bool> =
                    sqlx::query_scalar("SELECT is_active FROM partner WHERE id = $1")
                        .bind(partner)
                        .fetch_optional(&self.app.pool)
                        .await
                        .expect("partner query");
                if active != Some(true) {
                    return Some(fail(
                        what,
                        "certificate uploads".into(),
                        format!("partner.is_active = {active:?}"),
                        "partner not active after its certificate upload".into(),
                    ));
                }
                None
            }
            Prep::ChipCertificate {
                chip,
                provider,
                org,
                domain,
                ca_role,
                role,
            } => {
                let mut unresolved = Vec::new();
                let chip = self.resolve_str(chip, &mut unresolved);
                let what = format!("certificate of FTM chip {chip} (O={org})");
                let (root, leaf) = fresh_chain(org);
                let steps = [
                    (
                        "/v1/partnermanager/partners/certificate/ca/upload",
                        *ca_role,
                        json!({"certificateData": root, "partnerDomain": domain}),
                    ),
                    (
                        "/v1/partnermanager/ftpchipdetail/uploadcertificate",
                        *role,
                        json!({
                            "ftpProviderId": provider, "ftpChipDeatilId": chip,
                            "isItForRegistrationDevice": true, "certificateData": leaf,
                            "organizationName": org, "partnerDomain": domain,
                        }),
                    ),
                ];
                if let Err((request, actual, reason)) =
                    self.post_all(steps, &now, &unresolved).await
                {
                    return Some(fail(what, request, actual, reason));
                }
                None
            }
            Prep::DeactivateGroup { uid, id, role } => {
                let mut unresolved = Vec::new();
                let group_id = self.resolve_str(id, &mut unresolved);
                let created = cases
                    .iter()
                    .find(|c| c.uid == *uid)
                    .and_then(|c| c.body.as_ref())
                    .map(|b| b["request"].clone())
                    .unwrap_or_else(|| panic!("case {uid} has no request"));
                let path = BTreeMap::from([("policyGroupId".to_owned(), group_id.clone())]);
                let url = self.url(
                    "/v1/policymanager/policies/group/{policyGroupId}",
                    &path,
                    &[],
                );
                let body = envelope(json!({
                    "name": created["name"], "desc": created["desc"], "isActive": false,
                }));
                let answer = self.send("PUT", &url, role, Some(&body)).await;
                let mut problems =
                    compare(Some(&json!({"response": {"is_Active": false}})), &answer);
                problems.extend(unresolved.iter().map(|p| format!("{p} was never saved")));
                (!problems.is_empty()).then(|| {
                    fail(
                        format!("deactivate group {group_id}"),
                        format!("PUT {url} as {role} {body}"),
                        answer.show(),
                        problems.join("; "),
                    )
                })
            }
        }
    }

    /// Run one case; returns its failure, if any.
    async fn run(&mut self, case: &Case) -> Option<Failure> {
        let expected = case.output.as_ref();
        let now = mosip_datetime(OffsetDateTime::now_utc());
        let mut unresolved = Vec::new();
        let path: BTreeMap<String, String> = case
            .path_params
            .iter()
            .flatten()
            .map(|(k, v)| {
                let v = self.resolve(v, &now, &mut unresolved);
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                )
            })
            .collect();
        let query: Vec<(String, String)> = case
            .query_params
            .iter()
            .flatten()
            .map(|(k, v)| {
                let v = self.resolve(v, &now, &mut unresolved);
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                )
            })
            .collect();
        let body = case
            .body
            .as_ref()
            .map(|b| self.resolve(b, &now, &mut unresolved));
        let url = self.url(&case.endpoint, &path, &query);
        let answer = self
            .send(&case.method, &url, &case.role, body.as_ref())
            .await;

        if let (Some(saves), Ok(v)) = (&case.saves_id, &answer.body) {
            let field = saves.from.split('.').fold(v, |v, k| &v[k]);
            if let Some(value) = field.as_str() {
                self.ids.insert(saves.placeholder.clone(), value.to_owned());
            }
        }

        let mut problems = compare(expected, &answer);
        if !problems.is_empty() && !unresolved.is_empty() {
            problems.push(format!(
                "unresolved (producer failed?): {}",
                unresolved.join(", ")
            ));
        }
        (!problems.is_empty()).then(|| Failure {
            seq: case.seq,
            uid: case.uid.clone(),
            tree: case.tree.clone(),
            request: format!(
                "{} {url} as {}{}",
                case.method,
                case.role,
                body.map(|b| format!(" {}", clip(&b.to_string(), 600)))
                    .unwrap_or_default()
            ),
            expected: expected.map_or_else(|| "(sent only)".to_owned(), Value::to_string),
            actual: answer.show(),
            reasons: problems,
        })
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// Flatten JSON into `path → leaf` (`a.b[0].c`); empty objects and arrays have no leaves.
fn flatten(v: &Value, prefix: &str, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(map) => {
            for (k, item) in map {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(item, &p, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(item, &format!("{prefix}[{i}]"), out);
            }
        }
        leaf => {
            out.insert(prefix.to_owned(), leaf.clone());
        }
    }
}

/// A leaf as the rig sees it: strings bare, everything else as JSON text.
fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Compare an answer with an expected output the way the rig does; returns the mismatches.
/// `None` (the rig compares nothing): only a JSON answer and no 5xx are required.
fn compare(expected: Option<&Value>, answer: &Answer) -> Vec<String> {
    let mut problems = Vec::new();
    if answer.status >= 500 || answer.status == 0 {
        problems.push(format!(
            "HTTP {} (pmsflow must never answer 5xx)",
            answer.status
        ));
    }
    let actual = match &answer.body {
        Ok(v) => v,
        Err(_) => {
            problems.push("response is not JSON".into());
            return problems;
        }
    };
    let Some(expected) = expected else {
        return problems;
    };
    if expected.get("noErrors") == Some(&Value::Bool(true)) {
        match actual.get("errors") {
            None | Some(Value::Null) => {}
            Some(Value::Array(e)) if e.is_empty() => {}
            Some(errors) => problems.push(format!("expected no errors, got {errors}")),
        }
        return problems;
    }
    let mut want = BTreeMap::new();
    if let Some(errors) = expected.get("errors").and_then(Value::as_array) {
        // error.hbs keeps only errorCode.
        let codes: Vec<Value> = errors
            .iter()
            .map(|e| json!({"errorCode": e["errorCode"]}))
            .collect();
        flatten(&json!({ "errors": codes }), "", &mut want);
    } else {
        flatten(expected, "", &mut want);
    }
    let mut got = BTreeMap::new();
    flatten(actual, "", &mut got);
    for (path, value) in &want {
        let wanted = as_text(value);
        if wanted == "$IGNORE$" {
            continue;
        }
        let Some(found) = got.get(path) else {
            problems.push(format!("{path}: missing (expected {wanted})"));
            continue;
        };
        let found = as_text(found);
        if wanted == "$TIMESTAMP$" {
            if time::PrimitiveDateTime::parse(&found, MOSIP_DATETIME).is_err() {
                problems.push(format!("{path}: {found} is not yyyy-MM-ddTHH:mm:ss.SSSZ"));
            }
        } else if found != wanted {
            problems.push(format!("{path}: expected {wanted}, got {found}"));
        }
    }
    problems
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn mosip_api_test_cases_replay(pool: PgPool) {
    let mut all: Vec<Case> = serde_json::from_str(CASES).expect("cases.json");
    all.sort_by_key(|c| c.seq);
    let (excluded, cases): (Vec<Case>, Vec<Case>) =
        all.into_iter().partition(|c| c.excluded.is_some());
    for (before, _) in PREPS {
        assert!(
            cases.iter().any(|c| c.uid == *before),
            "prerequisite before {before}, which is not a replayed case"
        );
    }

    let app = TestApp::spawn(pool).await;

    // Seed data (README §5): MOSIP's own default rows (db_scripts/mosip_pms/dml), among them
    // the group mpolicygroup-default-auth and print@mosip.io, which some cases expect.
    pmsflow::seed::seed(&app.pool, &app.settings.pms)
        .await
        .expect("seed");

    let mut tokens = HashMap::new();
    for role in [
        "partner",
        "policytest",
        "admin",
        "temp",
        "partneradmin",
        "partnerauth",
        "partnerdevice",
        "partnerftm",
    ] {
        let (user, roles) = identity(role).expect("rig user");
        tokens.insert(role, app.token(user, roles));
    }
    tokens.insert("invalidtoken", GARBAGE_TOKEN.to_owned());
    let mut replay = Replay {
        app: &app,
        tokens,
        ids: HashMap::new(),
    };

    let mut failures: Vec<Failure> = Vec::new();
    // tree -> (passed, failed)
    let mut per_tree: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let mut sent_only = 0;
    for case in &cases {
        for (_, prep) in PREPS.iter().filter(|(before, _)| *before == case.uid) {
            if let Some(f) = replay.prep(case, prep, &cases).await {
                failures.push(f);
            }
        }
        if case.output.is_none() {
            sent_only += 1;
        }
        let outcome = replay.run(case).await;
        let counts = per_tree.entry(case.tree.clone()).or_default();
        match outcome {
            None => counts.0 += 1,
            Some(f) => {
                counts.1 += 1;
                failures.push(f);
            }
        }
    }

    let mut report = String::new();
    for f in &failures {
        let _ = writeln!(
            report,
            "\n✗ [{}] seq {} {}\n  request:  {}\n  expected: {}\n  actual:   {}\n  why:      {}",
            f.tree,
            f.seq,
            f.uid,
            f.request,
            f.expected,
            f.actual,
            f.reasons.join("; ")
        );
    }
    let mut excluded_by: BTreeMap<(String, String), u32> = BTreeMap::new();
    for c in &excluded {
        let class = c
            .excluded
            .as_ref()
            .map(|e| e.class.clone())
            .unwrap_or_default();
        *excluded_by.entry((c.tree.clone(), class)).or_default() += 1;
    }
    let _ = writeln!(
        report,
        "\nMOSIP api-test replay, per tree of api-test/src/main/resources:"
    );
    for (tree, (p, f)) in &per_tree {
        let _ = writeln!(
            report,
            "  {tree:<8} {:>4} replayed {p:>4} passed {f:>4} failed",
            p + f
        );
    }
    for ((tree, class), n) in &excluded_by {
        let _ = writeln!(report, "  {tree:<8} {n:>4} excluded: {class}");
    }
    let prep_failures = failures
        .iter()
        .filter(|f| f.uid.starts_with("prerequisite"))
        .count();
    let _ = writeln!(
        report,
        "  total    {} cases: {} replayed ({sent_only} sent only: the rig compares nothing), {} failed, {} excluded; {prep_failures} prerequisites failed",
        cases.len() + excluded.len(),
        cases.len(),
        failures.len() - prep_failures,
        excluded.len()
    );
    println!("{report}");
    assert!(
        failures.is_empty(),
        "{} MOSIP api-test cases and {prep_failures} prerequisites failed (see the report above)",
        failures.len() - prep_failures
    );
}
