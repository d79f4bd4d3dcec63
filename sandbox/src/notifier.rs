//! Notifier `POST /v1/notifier/email/send` (mosip-contracts.md §2.6): multipart fields
//! `mailTo` (repeated or comma-separated), `mailCc`, `mailSubject`, `mailContent`,
//! `attachments`. Emails are recorded, never sent.

use pmsflow_core::codes;
use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, Request, State};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::envelope::{self, rfc3339, Echo, Reply};
use crate::gate::Outcome;
use crate::{lock, App};

/// One accepted email request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedEmail {
    /// 1-based order of emails in this sandbox.
    pub seq: u64,
    /// Recipients (`mailTo`, split on commas, trimmed).
    pub to: Vec<String>,
    /// Copy recipients (`mailCc`).
    pub cc: Vec<String>,
    /// `mailSubject`.
    pub subject: String,
    /// `mailContent` (HTML allowed).
    pub content: String,
    /// File names of the `attachments` parts.
    pub attachments: Vec<String>,
    /// When it was accepted, RFC 3339.
    pub at: String,
}

/// The multipart fields as received.
#[derive(Debug, Default)]
struct EmailForm {
    to: Vec<String>,
    cc: Vec<String>,
    subject: Option<String>,
    content: Option<String>,
    attachments: Vec<String>,
}

fn addresses(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
}

/// Reads the form; `None` when the body is not readable multipart.
async fn read_form(request: Request) -> Option<EmailForm> {
    let mut multipart = Multipart::from_request(request, &()).await.ok()?;
    let mut form = EmailForm::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return None,
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "attachments" {
            form.attachments
                .push(field.file_name().unwrap_or("attachment").to_owned());
            // Drain the part; its content is not kept.
            field.bytes().await.ok()?;
            continue;
        }
        let text = field.text().await.ok()?;
        match name.as_str() {
            "mailTo" => form.to.extend(addresses(&text)),
            "mailCc" => form.cc.extend(addresses(&text)),
            "mailSubject" => form.subject = Some(text),
            "mailContent" => form.content = Some(text),
            _ => {}
        }
    }
    Some(form)
}

fn blank(value: &Option<String>) -> bool {
    value.as_deref().is_none_or(|v| v.trim().is_empty())
}

/// `POST /v1/notifier/email/send`. Missing `mailTo`: `KER-NOE-001`; subject: `KER-NOE-002`;
/// content: `KER-NOE-003` (HTTP 200). Success: `response:{status:"success", message:"Email
/// Request submitted"}` — queued, as the real notifier's `@Async` send only queues.
pub(crate) async fn send_email(State(app): State<Arc<App>>, request: Request) -> Reply {
    let headers = request.headers().clone();
    let work = async {
        let fail = |code: &str, message: &str| {
            Outcome::rejected(envelope::kernel_failure(&Echo::default(), code, message))
        };
        let Some(form) = read_form(request).await else {
            return fail(codes::KER_NOE_999.code, codes::KER_NOE_999.message);
        };
        if form.to.is_empty() {
            return fail(codes::KER_NOE_001.code, codes::KER_NOE_001.message);
        }
        if blank(&form.subject) {
            return fail(codes::KER_NOE_002.code, codes::KER_NOE_002.message);
        }
        if blank(&form.content) {
            return fail(codes::KER_NOE_003.code, codes::KER_NOE_003.message);
        }
        let subject = form.subject.unwrap_or_default();
        let content = form.content.unwrap_or_default();
        let digest = hex::encode(Sha256::digest(
            format!("{}\n{subject}\n{content}", form.to.join(",")).as_bytes(),
        ));
        let mut emails = lock(&app.emails);
        let seq = emails.len() as u64 + 1;
        emails.push(RecordedEmail {
            seq,
            to: form.to.clone(),
            cc: form.cc,
            subject: subject.clone(),
            content,
            attachments: form.attachments,
            at: rfc3339(OffsetDateTime::now_utc()),
        });
        Outcome::done(
            envelope::kernel_ok(
                &Echo::default(),
                json!({"status": "success", "message": "Email Request submitted"}),
            ),
            digest,
            json!({"to": form.to, "subject": subject, "emailSeq": seq}),
        )
    };
    app.effectful("notifier", "sendEmail", "", &headers, work)
        .await
}
