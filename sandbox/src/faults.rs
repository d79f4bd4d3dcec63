//! Fault injection, settable at run time (`PUT /_sandbox/faults` or
//! [`Sandbox::set_faults`](crate::Sandbox::set_faults)).
//!
//! Faults are decided *before* a handler runs, so an injected failure never has an effect
//! and never reaches the ledger. Endpoint names are `"<service>.<operation>"`, listed in
//! [`ENDPOINTS`].

use pmsflow_core::codes;
use std::collections::HashMap;
use std::time::Duration;

use axum::http::StatusCode;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::envelope::{self, Echo, Reply};

/// Every endpoint name a [`FaultConfig`] rule can target (besides `"*"` and
/// `"<service>.*"`).
pub const ENDPOINTS: &[&str] = &[
    "authmanager.authenticate",
    "keymanager.uploadCACertificate",
    "keymanager.uploadPartnerCertificate",
    "keymanager.uploadOtherDomainCertificate",
    "keymanager.getPartnerCertificate",
    "keymanager.getPartnerSignedCertificate",
    "keymanager.verifyCertificateTrust",
    "datashare.create",
    "datashare.get",
    "websub.register",
    "websub.unregister",
    "websub.publish",
    "notifier.sendEmail",
    "audit.addAudit",
    "esignet.create",
    "esignet.update",
    "esignet.discovery",
];

/// Services, the first half of every endpoint name.
pub const SERVICES: &[&str] = &[
    "authmanager",
    "keymanager",
    "datashare",
    "websub",
    "notifier",
    "audit",
    "esignet",
];

/// What can go wrong on one endpoint (or a group of them). All fields default to "nothing",
/// so `{"error_rate": 1.0}` is a complete rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultRule {
    /// Probability (0..=1) of answering HTTP 503 with a kernel error body, as an overloaded
    /// or restarting MOSIP service behind its ingress would.
    pub error_rate: f64,
    /// Probability (0..=1) of answering HTTP 200 with the service's error envelope and a
    /// transient code: keymanager `KER-KMS-500`, datashare `DAT-SER-002`, WebSub
    /// `hub.mode=denied` with reason `internal error`, notifier `KER-NOE-500`, audit
    /// `KER-AUD-500`, authmanager `500`, eSignet `unknown_error` (in eSignet's
    /// `{responseTime, response: null, errors: [{errorCode, errorMessage}]}` envelope).
    /// Rolled after `error_rate`.
    pub http200_error_rate: f64,
    /// Replaces the code of HTTP 200 errors, e.g. to inject a permanent code such as
    /// `KER-PCM-006`. For WebSub it becomes the `hub.reason`.
    pub error_code: Option<String>,
    /// Delay before answering (also before other faults), in milliseconds.
    pub latency_ms: u64,
    /// Service down: every call answers HTTP 503 (the simplest honest stand-in for a
    /// connection-level failure that a client must also treat as retryable).
    pub outage: bool,
    /// The rule applies to this many more calls, then it is spent and calls pass (`None`:
    /// every call). With `error_rate: 1.0` and `times: 1`, exactly the next call fails.
    pub times: Option<u32>,
}

impl FaultRule {
    /// A rule failing every call with HTTP 503.
    pub fn always_unavailable() -> FaultRule {
        FaultRule {
            error_rate: 1.0,
            ..FaultRule::default()
        }
    }

    /// A rule failing every call with an HTTP 200 error envelope carrying `code` (or the
    /// service's transient code when `None`).
    pub fn always_http200_error(code: Option<&str>) -> FaultRule {
        FaultRule {
            http200_error_rate: 1.0,
            error_code: code.map(str::to_owned),
            ..FaultRule::default()
        }
    }

    fn rate_is_valid(rate: f64) -> bool {
        rate.is_finite() && (0.0..=1.0).contains(&rate)
    }
}

/// The fault rules in force, keyed by endpoint name (`"keymanager.uploadPartnerCertificate"`),
/// service wildcard (`"keymanager.*"`) or `"*"`. The most specific key wins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultConfig {
    /// Rule per endpoint name, service wildcard or `"*"`.
    pub rules: HashMap<String, FaultRule>,
}

/// Why a [`FaultConfig`] was refused by `PUT /_sandbox/faults`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultConfigError {
    /// The key is not `"*"`, `"<service>.*"` or a name from [`ENDPOINTS`].
    #[error("unknown endpoint '{0}'")]
    UnknownEndpoint(String),
    /// A rate is outside 0..=1 or not a number.
    #[error("rate of '{0}' must be between 0 and 1")]
    InvalidRate(String),
}

impl FaultConfig {
    /// A configuration with one rule.
    pub fn single(endpoint: &str, rule: FaultRule) -> FaultConfig {
        FaultConfig {
            rules: HashMap::from([(endpoint.to_owned(), rule)]),
        }
    }

    /// Checks keys and rates.
    ///
    /// # Errors
    /// The first unknown key or out-of-range rate.
    pub fn validate(&self) -> Result<(), FaultConfigError> {
        for (key, rule) in &self.rules {
            let known = key == "*"
                || ENDPOINTS.contains(&key.as_str())
                || key
                    .strip_suffix(".*")
                    .is_some_and(|service| SERVICES.contains(&service));
            if !known {
                return Err(FaultConfigError::UnknownEndpoint(key.clone()));
            }
            if !FaultRule::rate_is_valid(rule.error_rate)
                || !FaultRule::rate_is_valid(rule.http200_error_rate)
            {
                return Err(FaultConfigError::InvalidRate(key.clone()));
            }
        }
        Ok(())
    }

    /// The rule for the call about to be made to `service.operation` ([`rule_for`]), counting
    /// the call against the rule's [`FaultRule::times`]; `None` once they are spent.
    ///
    /// [`rule_for`]: Self::rule_for
    pub fn take(&mut self, service: &str, operation: &str) -> Option<FaultRule> {
        let key = [
            format!("{service}.{operation}"),
            format!("{service}.*"),
            "*".to_owned(),
        ]
        .into_iter()
        .find(|k| self.rules.contains_key(k))?;
        let rule = self.rules.get_mut(&key)?;
        match rule.times {
            Some(0) => return None,
            Some(n) => rule.times = Some(n - 1),
            None => {}
        }
        Some(rule.clone())
    }

    /// The rule for `service.operation`: exact name, else `service.*`, else `*`.
    pub fn rule_for(&self, service: &str, operation: &str) -> Option<&FaultRule> {
        self.rules
            .get(&format!("{service}.{operation}"))
            .or_else(|| self.rules.get(&format!("{service}.*")))
            .or_else(|| self.rules.get("*"))
    }
}

/// The failure to answer with, decided from a rule and two dice.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Decision {
    /// Proceed normally.
    Pass,
    /// HTTP 503 (outage or `error_rate`).
    Unavailable { outage: bool },
    /// HTTP 200 error envelope with this code (None = the service's transient code).
    Http200Error(Option<String>),
}

/// Rolls the dice for `rule` (rates ≥ 1 always fire; ≤ 0 or NaN never do).
pub(crate) fn decide(rule: &FaultRule) -> Decision {
    if rule.outage {
        return Decision::Unavailable { outage: true };
    }
    let mut rng = rand::rng();
    if rng.random::<f64>() < rule.error_rate {
        return Decision::Unavailable { outage: false };
    }
    if rng.random::<f64>() < rule.http200_error_rate {
        return Decision::Http200Error(rule.error_code.clone());
    }
    Decision::Pass
}

/// Sleeps for the rule's latency, then returns the reply of an injected failure, if any.
pub(crate) async fn apply(rule: Option<FaultRule>, service: &str, topic: &str) -> Option<Reply> {
    let rule = rule?;
    if rule.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(rule.latency_ms)).await;
    }
    match decide(&rule) {
        Decision::Pass => None,
        Decision::Unavailable { outage } => Some(unavailable(service, outage)),
        Decision::Http200Error(code) => Some(http200_error(service, code.as_deref(), topic)),
    }
}

/// The transient code and message a service uses for an internal failure.
fn transient_error(service: &str) -> (&'static str, &'static str) {
    match service {
        "keymanager" => (codes::KER_KMS_500.code, codes::KER_KMS_500.message),
        "datashare" => ("DAT-SER-002", "API not accessible"),
        "notifier" => (codes::KER_NOE_500.code, codes::KER_NOE_500.message),
        "audit" => (codes::KER_AUD_500.code, codes::KER_AUD_500.message),
        "esignet" => ("unknown_error", "unknown_error"),
        _ => ("500", "Internal Server Error"),
    }
}

fn unavailable(service: &str, outage: bool) -> Reply {
    let (code, _) = transient_error(service);
    let message = if outage {
        "Service Unavailable (sandbox outage)"
    } else {
        "Service Unavailable (injected fault)"
    };
    if service == "esignet" {
        return envelope::esignet_errors(
            StatusCode::SERVICE_UNAVAILABLE,
            &[(code.to_owned(), message.to_owned())],
        );
    }
    envelope::kernel_error(
        StatusCode::SERVICE_UNAVAILABLE,
        &Echo::default(),
        code,
        message,
    )
}

fn http200_error(service: &str, code: Option<&str>, topic: &str) -> Reply {
    if service == "websub" {
        return envelope::hub_denied(topic, code.unwrap_or("internal error"));
    }
    let (default_code, default_message) = transient_error(service);
    let (code, message) = match code {
        Some(code) => (code, "Injected error (sandbox fault)"),
        None => (default_code, default_message),
    };
    if service == "datashare" {
        envelope::datashare_error(code, message)
    } else if service == "esignet" {
        envelope::esignet_failure(code, message)
    } else {
        envelope::kernel_failure(&Echo::default(), code, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_specific_rule_wins() {
        let mut config = FaultConfig::default();
        config.rules.insert(
            "*".into(),
            FaultRule {
                latency_ms: 1,
                ..FaultRule::default()
            },
        );
        config.rules.insert(
            "keymanager.*".into(),
            FaultRule {
                latency_ms: 2,
                ..FaultRule::default()
            },
        );
        config.rules.insert(
            "keymanager.uploadPartnerCertificate".into(),
            FaultRule {
                latency_ms: 3,
                ..FaultRule::default()
            },
        );
        let latency = |s: &str, o: &str| config.rule_for(s, o).map(|r| r.latency_ms);
        assert_eq!(latency("keymanager", "uploadPartnerCertificate"), Some(3));
        assert_eq!(latency("keymanager", "uploadCACertificate"), Some(2));
        assert_eq!(latency("datashare", "create"), Some(1));
        assert_eq!(FaultConfig::default().rule_for("datashare", "create"), None);
    }

    #[test]
    fn validation() {
        assert!(
            FaultConfig::single("websub.publish", FaultRule::always_unavailable())
                .validate()
                .is_ok()
        );
        assert!(FaultConfig::single("notifier.*", FaultRule::default())
            .validate()
            .is_ok());
        assert_eq!(
            FaultConfig::single("keymanager.typo", FaultRule::default()).validate(),
            Err(FaultConfigError::UnknownEndpoint("keymanager.typo".into()))
        );
        let bad = FaultRule {
            error_rate: 1.5,
            ..FaultRule::default()
        };
        assert!(FaultConfig::single("*", bad).validate().is_err());
        let nan = FaultRule {
            http200_error_rate: f64::NAN,
            ..FaultRule::default()
        };
        assert!(FaultConfig::single("*", nan).validate().is_err());
    }

    #[test]
    fn certain_and_impossible_rates() {
        assert_eq!(decide(&FaultRule::default()), Decision::Pass);
        assert_eq!(
            decide(&FaultRule::always_unavailable()),
            Decision::Unavailable { outage: false }
        );
        assert_eq!(
            decide(&FaultRule::always_http200_error(Some("KER-PCM-006"))),
            Decision::Http200Error(Some("KER-PCM-006".into()))
        );
        let outage = FaultRule {
            outage: true,
            ..FaultRule::default()
        };
        assert_eq!(decide(&outage), Decision::Unavailable { outage: true });
    }

    #[test]
    fn partial_json_rules_use_defaults() {
        let config: FaultConfig =
            serde_json::from_str(r#"{"rules":{"keymanager.*":{"error_rate":1.0}}}"#).expect("json");
        assert_eq!(
            config.rules["keymanager.*"],
            FaultRule::always_unavailable()
        );
    }

    #[test]
    fn a_counted_rule_is_spent_after_its_calls() {
        let mut config = FaultConfig::single(
            "keymanager.uploadPartnerCertificate",
            FaultRule {
                times: Some(2),
                ..FaultRule::always_unavailable()
            },
        );
        assert!(config
            .take("keymanager", "uploadPartnerCertificate")
            .is_some());
        assert!(config
            .take("keymanager", "uploadPartnerCertificate")
            .is_some());
        assert_eq!(config.take("keymanager", "uploadPartnerCertificate"), None);
        assert_eq!(config.take("keymanager", "uploadCACertificate"), None);
    }
}
