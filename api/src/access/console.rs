//! The console's access rules (`[console]`): realm role → console role, the CSRF key and the
//! HMACs made with it, the dev sign-in's secret, bulk batch size.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use pmsflow_core::operator::RoleMapping;
use sha2::Sha256;

/// Console access settings, shared by every handler.
pub struct ConsoleAccess {
    /// Realm role → console role.
    pub mapping: RoleMapping,
    csrf_key: [u8; 32],
    /// IdP login page (`jwks` mode).
    pub login_url: String,
    /// Lifetime of a dev sign-in.
    pub dev_session: Duration,
    /// Runs per transaction of a bulk action.
    pub bulk_batch: u32,
    /// HMAC (CSRF key) of the dev secret the sign-in form asks for; `None` when the form asks
    /// for none (the published default dev secret, which only works with the sandbox).
    dev_login_tag: Option<Vec<u8>>,
    /// Dev sign-in attempts allowed per minute, all users together
    /// (`console.dev_sign_ins_per_minute`).
    pub sign_in_limit: governor::DefaultDirectRateLimiter,
}

impl std::fmt::Debug for ConsoleAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleAccess")
            .field("mapping", &self.mapping)
            .field("login_url", &self.login_url)
            .finish_non_exhaustive()
    }
}

impl ConsoleAccess {
    /// Access rules from `[console]`: an empty `csrf_secret` gives a random key.
    pub fn new(
        mapping: RoleMapping,
        csrf_secret: &str,
        login_url: &str,
        dev_session: Duration,
        bulk_batch: u32,
    ) -> Self {
        let csrf_key = if csrf_secret.is_empty() {
            rand::random()
        } else {
            use sha2::Digest;
            Sha256::digest(csrf_secret.as_bytes()).into()
        };
        Self {
            mapping,
            csrf_key,
            login_url: login_url.to_owned(),
            dev_session,
            bulk_batch: bulk_batch.max(1),
            dev_login_tag: None,
            sign_in_limit: per_minute(10),
        }
    }

    /// Allow `n` dev sign-in attempts a minute (at least one).
    pub fn with_sign_in_limit(mut self, n: u32) -> Self {
        self.sign_in_limit = per_minute(n);
        self
    }

    /// Make the dev sign-in form ask for `dev_secret` (the server's `auth.dev_secret`), unless
    /// it is the published default: whoever signs in could otherwise mint any token.
    pub fn with_dev_secret(mut self, dev_secret: &str) -> Self {
        self.dev_login_tag = (dev_secret != pmsflow_store::config::DEFAULT_DEV_SECRET)
            .then(|| self.keyed(dev_secret).finalize().into_bytes().to_vec());
        self
    }

    /// HMAC-SHA256 of `data` under the CSRF key (finalise it, or verify a tag with it in
    /// constant time).
    fn keyed(&self, data: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.csrf_key)
            .expect("HMAC accepts keys of any length");
        mac.update(data.as_bytes());
        mac
    }

    /// The answer to a dev sign-in (console or portal) beyond `console.dev_sign_ins_per_minute`
    /// (all users together: guessing the dev secret or flooding sign-ins): 429 with
    /// `Retry-After: 60`; `None` while under the limit.
    pub fn sign_in_throttled(&self) -> Option<axum::response::Response> {
        use axum::response::IntoResponse as _;
        self.sign_in_limit.check().err()?;
        tracing::warn!("dev sign-in rate limit reached");
        let mut r = axum::http::StatusCode::TOO_MANY_REQUESTS.into_response();
        r.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("60"),
        );
        Some(r)
    }

    /// Does `presented` open the dev sign-in form? Always with the default dev secret;
    /// otherwise only the server's dev secret (compared in constant time).
    pub(crate) fn dev_login_ok(&self, presented: &str) -> bool {
        match &self.dev_login_tag {
            None => true,
            Some(tag) => self.keyed(presented).verify_slice(tag).is_ok(),
        }
    }

    /// The CSRF token of session `token`.
    pub fn csrf_token(&self, token: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(self.keyed(token).finalize().into_bytes())
    }

    pub(crate) fn csrf_ok(&self, token: &str, presented: &str) -> bool {
        let Ok(tag) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(presented) else {
            return false;
        };
        // Constant-time comparison.
        self.keyed(token).verify_slice(&tag).is_ok()
    }
}

fn per_minute(n: u32) -> governor::DefaultDirectRateLimiter {
    let n = std::num::NonZeroU32::new(n).unwrap_or(std::num::NonZeroU32::MIN);
    governor::RateLimiter::direct(governor::Quota::per_minute(n))
}

/// Build the shared access rules from `[console]` and the dev secret of `[auth]`.
pub fn access(
    settings: &pmsflow_store::config::ConsoleSettings,
    auth: &pmsflow_store::config::AuthSettings,
) -> Arc<ConsoleAccess> {
    Arc::new(
        ConsoleAccess::new(
            RoleMapping {
                viewer_roles: settings.viewer_roles.clone(),
                operator_roles: settings.operator_roles.clone(),
                admin_roles: settings.admin_roles.clone(),
            },
            &settings.csrf_secret,
            &settings.login_url,
            Duration::from_secs(settings.dev_session_s.max(60)),
            settings.bulk_batch,
        )
        .with_dev_secret(&auth.dev_secret)
        .with_sign_in_limit(settings.dev_sign_ins_per_minute),
    )
}

/// Was this form posted from another site (`Sec-Fetch-Site` other than `same-origin` or
/// `none`)? A sign-in form posted from another site would sign the victim in as the
/// attacker's user.
pub fn posted_cross_site(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| !matches!(site, "same-origin" | "none"))
}

/// A user id a dev sign-in may take: 1..=64 of `A-Z a-z 0-9 . _ @ -` (so never a system
/// actor's `system:...`).
pub fn valid_user_id(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_in_form_asks_for_a_dev_secret_of_ones_own() {
        let new = || {
            ConsoleAccess::new(
                RoleMapping::default(),
                "k1",
                "",
                Duration::from_secs(60),
                50,
            )
        };
        let open = new().with_dev_secret(pmsflow_store::config::DEFAULT_DEV_SECRET);
        assert!(open.dev_login_ok(""));
        let closed = new().with_dev_secret("a-secret-of-our-own-0123");
        assert!(!closed.dev_login_ok(""));
        assert!(!closed.dev_login_ok("a-secret-of-our-own-012"));
        assert!(closed.dev_login_ok("a-secret-of-our-own-0123"));
    }

    #[test]
    fn csrf_tokens_are_bound_to_the_session_and_the_key() {
        let a = ConsoleAccess::new(
            RoleMapping::default(),
            "k1",
            "",
            Duration::from_secs(60),
            50,
        );
        let b = ConsoleAccess::new(
            RoleMapping::default(),
            "k2",
            "",
            Duration::from_secs(60),
            50,
        );
        let t = a.csrf_token("session-1");
        assert!(a.csrf_ok("session-1", &t));
        assert!(!a.csrf_ok("session-2", &t));
        assert!(!b.csrf_ok("session-1", &t));
        assert!(!a.csrf_ok("session-1", ""));
        assert!(!a.csrf_ok("session-1", "not base64!"));
    }
}
