//! Secrets out of what is stored and shown: callee response bodies kept with a failed attempt
//! (`StepFailure::response`) and the run inputs and outputs the operator console displays.
//!
//! Keys that look sensitive (`secretKey`, `client_secret`, `password`, `token`,
//! `Authorization`, `Cookie`, `privateKey`, `hub.secret`, a partner's `apiKey`, a MISP
//! `licenseKey` ...) lose their values; JWT-looking tokens anywhere in text are replaced.

use serde_json::Value;

/// What replaces a redacted value.
const REDACTED: &str = "***";

/// Key fragments (lower-case) whose values are never kept: `secretKey`, `client_secret`,
/// `password`, `token`, `Authorization`, `Cookie`, `privateKey`, `hub.secret` ...
const SENSITIVE_KEY_PARTS: &[&str] = &[
    "secret",
    "password",
    "passwd",
    "token",
    "authorization",
    "cookie",
    "privatekey",
];

/// Whole keys (lower-case) that hold credentials: a partner's API key (`apiKey`, the
/// `apiKeyId` of `APIKEY_APPROVED` / `APIKEY_UPDATED`, PMS's `policyApiKey`), a MISP licence key.
const SENSITIVE_KEYS: &[&str] = &[
    "apikey",
    "api_key",
    "apikeyid",
    "policyapikey",
    "partnerapikey",
    "licensekey",
    "license_key",
    "licencekey",
];

fn is_sensitive_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SENSITIVE_KEY_PARTS.iter().any(|part| key.contains(part))
        || SENSITIVE_KEYS.contains(&key.as_str())
}

/// Removes secrets from a response body before it is stored or shown.
///
/// - A JSON body has the value of every key that looks sensitive (`secretKey`, `password`,
///   `token`, `authorization`, ...; any nesting) replaced by `"***"`.
/// - Other text (form bodies, HTML, truncated JSON) has `key=value` / `"key": value` pairs with
///   such keys redacted.
/// - Finally every JWT-looking token (dot-separated base64url segments: a header starting with
///   `eyJ`, or three long segments) is replaced by `***`.
pub fn redact(body: &str) -> String {
    let structured = match serde_json::from_str::<Value>(body) {
        Ok(mut value) if value.is_object() || value.is_array() => {
            redact_json(&mut value);
            value.to_string()
        }
        _ => redact_pairs(body),
    };
    redact_jwts(&structured)
}

/// Replaces the value of every sensitive key of `value` (any nesting) with `"***"`.
pub fn redact_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if is_sensitive_key(key) && !item.is_null() {
                    *item = Value::String(REDACTED.to_owned());
                } else {
                    redact_json(item);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// Keys (lower-case, whole) whose values a finished run does not keep: the credentials of
/// [`SENSITIVE_KEYS`] plus bearer material.
const CREDENTIAL_KEYS: &[&str] = &[
    "token",
    "access_token",
    "accesstoken",
    "authorization",
    "cookie",
];

fn is_credential_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SENSITIVE_KEYS.contains(&key.as_str())
        || CREDENTIAL_KEYS.contains(&key.as_str())
        || ["secret", "password", "privatekey"]
            .iter()
            .any(|part| key.contains(part))
}

fn scrub_json(value: &mut Value) -> bool {
    let mut changed = false;
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if is_credential_key(key) && !item.is_null() {
                    changed |= *item != Value::String(REDACTED.to_owned());
                    *item = Value::String(REDACTED.to_owned());
                } else {
                    changed |= scrub_json(item);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                changed |= scrub_json(item);
            }
        }
        _ => {}
    }
    changed
}

/// `value` without its credentials (API keys, licence keys, secrets, passwords, tokens:
/// narrower than [`redact_json`], which also hides display-only fields such as
/// `authTokenType`), or `None` when it holds none: what a finished run keeps of its input.
pub fn scrubbed(value: &Value) -> Option<Value> {
    let mut copy = value.clone();
    scrub_json(&mut copy).then_some(copy)
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// Redacts values of sensitive keys in free text: `key=value`, `key: value`, `"key":"value"`.
fn redact_pairs(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0; // bytes of `text` already copied to `out`
    let mut i = 0;
    while i < bytes.len() {
        if !is_ident_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_ident_byte(bytes[i]) {
            i += 1;
        }
        if !is_sensitive_key(&text[start..i]) {
            continue;
        }
        // Optional closing quote, blanks, then `=` or `:`, blanks.
        let mut j = i;
        if j < bytes.len() && (bytes[j] == b'"' || bytes[j] == b'\'') {
            j += 1;
        }
        while j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        if j >= bytes.len() || !(bytes[j] == b'=' || bytes[j] == b':') {
            continue;
        }
        j += 1;
        while j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        let (value_start, value_end) = if j < bytes.len() && bytes[j] == b'"' {
            let value_start = j + 1;
            let mut k = value_start;
            while k < bytes.len() && bytes[k] != b'"' {
                k += if bytes[k] == b'\\' { 2 } else { 1 };
            }
            (value_start, k.min(bytes.len()))
        } else {
            let mut k = j;
            // `Authorization: Bearer <token>`: take the scheme and the credential.
            if text[j..]
                .get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case("bearer "))
            {
                k += 7;
            }
            while k < bytes.len()
                && !matches!(bytes[k], b'&' | b';' | b',' | b'}' | b']' | b'"')
                && !bytes[k].is_ascii_whitespace()
            {
                k += 1;
            }
            (j, k)
        };
        if value_end > value_start {
            out.push_str(&text[copied..value_start]);
            out.push_str(REDACTED);
            copied = value_end;
        }
        i = value_end.max(i);
    }
    out.push_str(&text[copied..]);
    out
}

fn is_b64url_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Whether a run of base64url characters and dots looks like a JWT (JWS or JWE).
fn looks_like_jwt(run: &str) -> bool {
    let segments: Vec<&str> = run.split('.').collect();
    if segments.len() < 2 || segments.iter().any(|s| !s.bytes().all(is_b64url_byte)) {
        return false;
    }
    // A JOSE header is base64url of `{"...`, which always starts with `eyJ`.
    if segments[0].starts_with("eyJ") && segments[0].len() >= 10 && segments[1].len() >= 4 {
        return true;
    }
    segments.len() == 3 && segments.iter().all(|s| s.len() >= 16)
}

/// Replaces JWT-looking tokens in `text` with `***`.
fn redact_jwts(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !(is_b64url_byte(bytes[i]) || bytes[i] == b'.') {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (is_b64url_byte(bytes[i]) || bytes[i] == b'.') {
            i += 1;
        }
        // Dots at the edges belong to the surrounding text ("... eyJ...sig.").
        let whole = &text[start..i];
        let run = whole.trim_matches('.');
        if run.is_empty() || !looks_like_jwt(run) {
            continue;
        }
        let run_start = start + (whole.len() - whole.trim_start_matches('.').len());
        out.push_str(&text[copied..run_start]);
        out.push_str(REDACTED);
        copied = run_start + run.len();
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_runs_lose_credentials_and_keep_the_rest() {
        let input = serde_json::json!({
            "events": [{"mispLicenseData": {"licenseKey": "k-123", "mispId": "m"}},
                       {"apiKeyId": "a-456", "policy": {"authTokenType": "policy"}}],
            "client": {"client_secret": "s"}
        });
        let out = scrubbed(&input).unwrap();
        let text = out.to_string();
        assert!(!text.contains("k-123") && !text.contains("a-456") && !text.contains("\"s\""));
        assert_eq!(out["events"][1]["policy"]["authTokenType"], "policy");
        assert_eq!(out["events"][0]["mispLicenseData"]["mispId"], "m");
        assert_eq!(
            scrubbed(&serde_json::json!({"policy": {"authTokenType": "x"}})),
            None
        );
        assert_eq!(scrubbed(&out), None, "scrubbing twice changes nothing");
    }

    const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIiwiZXhwIjoxfQ.c2lnbmF0dXJlLXZhbHVl";

    #[test]
    fn json_keys_and_jwts_are_redacted() {
        let body = format!(
            r#"{{"request":{{"secretKey":"s3cr3t","clientId":"c"}},"note":"Bearer {JWT}","n":{{"Password":1}}}}"#
        );
        let out = redact(&body);
        assert!(!out.contains("s3cr3t"), "{out}");
        assert!(!out.contains(JWT), "{out}");
        assert!(out.contains(r#""clientId":"c""#), "{out}");
        assert!(out.contains(r#""Password":"***""#), "{out}");
    }

    #[test]
    fn text_pairs_are_redacted() {
        let out = redact("hub.mode=denied&hub.secret=abc&hub.topic=T");
        assert_eq!(out, "hub.mode=denied&hub.secret=***&hub.topic=T");
        let out = redact(&format!("Authorization: Bearer {JWT} trailing"));
        assert_eq!(out, "Authorization: *** trailing");
        let out = redact(r#"{"token": "abc", "truncated"#);
        assert_eq!(out, r#"{"token": "***", "truncated"#);
    }

    #[test]
    fn credentials_of_partners_are_redacted_but_their_labels_stay() {
        let mut v: Value = serde_json::from_str(
            r#"{"mispLicenseData":{"licenseKey":"K","mispId":"m"},"apiKey":"A","apikeyLabel":"L"}"#,
        )
        .unwrap();
        redact_json(&mut v);
        assert_eq!(v["mispLicenseData"]["licenseKey"], "***");
        assert_eq!(v["apiKey"], "***");
        assert_eq!(v["apikeyLabel"], "L");
        assert_eq!(v["mispLicenseData"]["mispId"], "m");
    }

    /// The effects run of a generated API key carries the key in its event's `apiKeyData`.
    #[test]
    fn the_api_key_of_an_api_key_event_is_redacted() {
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let mut v = serde_json::json!({
            "events": [{"data": {"apiKeyData": crate::events::api_key_data("AK123", now, now, true)}}],
            "policyApiKey": "AK123",
        });
        redact_json(&mut v);
        assert!(!v.to_string().contains("AK123"), "{v}");
        assert_eq!(
            v["events"][0]["data"]["apiKeyData"]["apiKeyStatus"],
            "ACTIVE"
        );
    }

    #[test]
    fn ordinary_dotted_words_survive() {
        let text = "see http://datashare.datashare/v1/x and keymanager.keymanager.svc v1.2.3.";
        assert_eq!(redact(text), text);
        assert_eq!(redact(&format!("token {JWT}.")), "token ***.");
    }
}
