//! The kernel notifier's e-mail endpoint (mosip-contracts.md §2.6).

use async_trait::async_trait;
use pmsflow_core::failure::StepFailure;
use reqwest::multipart::Form;
use reqwest::Url;
use serde::Deserialize;

use super::envelope::decode_payload;
use super::errors;
use super::http::{join, MosipHttp};

/// An e-mail as the notifier takes it. Templates are rendered by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmailMessage {
    /// Recipients; at least one. Each becomes one `mailTo` part.
    pub to: Vec<String>,
    /// Copy recipients; may be empty. Each becomes one `mailCc` part.
    pub cc: Vec<String>,
    /// `mailSubject`.
    pub subject: String,
    /// `mailContent`; HTML is allowed (`mosip.kernel.mail.content.html.enable=true`).
    pub content: String,
}

/// The notifier's acknowledgement (`response` of the answer).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EmailReceipt {
    /// `"success"` when the mail was queued (sending is asynchronous).
    #[serde(default)]
    pub status: String,
    /// E.g. `"Email Request submitted"`.
    #[serde(default)]
    pub message: String,
}

/// The kernel notifier.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// `POST /v1/notifier/email/send`, `multipart/form-data` with `mailTo` (one part per
    /// address), `mailCc` (one part per address), `mailSubject` and `mailContent` (§2.6).
    /// Success only means "queued". Not idempotent: de-duplicate before calling.
    ///
    /// # Errors
    /// `KER-NOE-*` from the answer (`KER-NOE-004/006` and `KER-NOE-500` retryable, validation
    /// codes permanent); the transport/HTTP mapping of [`errors`]. No recipient
    /// at all fails permanently without a call.
    async fn send_email(
        &self,
        message: &EmailMessage,
        effect_key: Option<&str>,
    ) -> Result<EmailReceipt, StepFailure>;
}

/// [`Notifier`] over HTTP.
#[derive(Debug, Clone)]
pub struct HttpNotifier {
    http: MosipHttp,
    base: Url,
}

impl HttpNotifier {
    /// A client for the notifier at `notifier_url` (without the context path, e.g.
    /// `http://notifier.kernel`).
    pub fn new(http: MosipHttp, notifier_url: Url) -> Self {
        Self {
            http,
            base: notifier_url,
        }
    }
}

#[async_trait]
impl Notifier for HttpNotifier {
    async fn send_email(
        &self,
        message: &EmailMessage,
        effect_key: Option<&str>,
    ) -> Result<EmailReceipt, StepFailure> {
        if message.to.iter().all(|to| to.trim().is_empty()) {
            return Err(errors::bad_input("the e-mail has no recipient"));
        }
        let mut form = Form::new();
        for to in message.to.iter().filter(|a| !a.trim().is_empty()) {
            form = form.text("mailTo", to.trim().to_owned());
        }
        for cc in message.cc.iter().filter(|a| !a.trim().is_empty()) {
            form = form.text("mailCc", cc.trim().to_owned());
        }
        let form = form
            .text("mailSubject", message.subject.clone())
            .text("mailContent", message.content.clone());
        let url = join(&self.base, &["v1", "notifier", "email", "send"]);
        let request = self.http.client().post(url).multipart(form);
        let raw = self
            .http
            .send("notifier.email", request, effect_key)
            .await?;
        decode_payload(&raw, "response", errors::unable_to_process)
    }
}
