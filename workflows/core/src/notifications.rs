//! Emails PMS sends to partners, rendered from MOSIP's seed templates (English,
//! `mosip/mosip-data: mosip_master/csv/template.csv`; mosip-pms.md §12). PMS fetches the
//! template from masterdata and merges it with Velocity; pmsflow keeps the seed text and
//! variables, rendered here so the effects run carries the exact mail it will send.

use time::OffsetDateTime;

use crate::effects::Email;
use crate::envelope::mosip_datetime;

fn mail(to: &str, subject: &str, content: String) -> Email {
    Email {
        to: vec![to.to_owned()],
        subject: subject.to_owned(),
        content,
    }
}

/// `PARTNER_REGISTRED` (`partner-reg-*-template`): sent on self-registration.
pub fn partner_registered(to: &str, partner_id: &str) -> Email {
    mail(
        to,
        "Partner Registration",
        format!(
            "Dear Partner, Your Self-Registration in Partner Management Portal is Completed \
             Successfully. Your Partner ID is {partner_id}."
        ),
    )
}

/// `PARTNER_UPDATED` (`partner-status-*-template`): partner activated or deactivated;
/// `status` is `Activated` / `Deactivated`.
pub fn partner_status(to: &str, partner_id: &str, active: bool, at: OffsetDateTime) -> Email {
    let status = if active { "Activated" } else { "Deactivated" };
    mail(
        to,
        "Partner Status Updated",
        format!(
            "Dear Partner, This is to inform that your account with partner ID {partner_id} in \
             Portal is {status} on {}. Please contact partner admin for further details.",
            mosip_datetime(at)
        ),
    )
}

/// What `APIKEY_STATUS_UPDATED` / `APIKEY_EXPIRED` tell about a key and its policy.
#[derive(Debug, Clone)]
pub struct ApiKeyNotice<'a> {
    /// The key's label (the key itself is never mailed).
    pub label: &'a str,
    /// Policy name.
    pub policy_name: &'a str,
    /// Key active.
    pub key_active: bool,
    /// Key expiry.
    pub key_expires_on: OffsetDateTime,
    /// Policy active.
    pub policy_active: bool,
    /// Policy expiry.
    pub policy_expires_on: OffsetDateTime,
}

/// `APIKEY_STATUS_UPDATED` (`partner-apikey-status-*-template`). PMS mails the key itself;
/// pmsflow names it by label so a secret never travels by email.
pub fn api_key_status(to: &str, n: &ApiKeyNotice<'_>) -> Email {
    let s = |b: bool| if b { "Active" } else { "De-active" };
    mail(
        to,
        "API Key Status Updated",
        format!(
            "Dear Partner, Please find the below status of apikey {label} and policy Name \
             {policy} apikey {label} status is {ks} and expires on {ke} policy {policy} status \
             is {ps} and expires on {pe}",
            label = n.label,
            policy = n.policy_name,
            ks = s(n.key_active),
            ke = mosip_datetime(n.key_expires_on),
            ps = s(n.policy_active),
            pe = mosip_datetime(n.policy_expires_on),
        ),
    )
}

/// A MISP licence issued or changed.
pub fn misp_licence(to: &str, misp_id: &str, active: bool, expires_on: OffsetDateTime) -> Email {
    let status = if active { "Active" } else { "De-active" };
    mail(
        to,
        "MISP License Key Updated",
        format!(
            "Dear Partner, the license key of MISP {misp_id} is {status} and expires on {}.",
            mosip_datetime(expires_on)
        ),
    )
}

/// Reminder: the partner's MOSIP-signed certificate expires in `days` days or less (no MOSIP
/// template: PMS 1.2.0.1 never reminds about certificates).
pub fn certificate_expiring(
    to: &str,
    partner_id: &str,
    expires_on: OffsetDateTime,
    days: u32,
) -> Email {
    mail(
        to,
        "Partner Certificate Expiring",
        format!(
            "Dear Partner, the certificate of partner ID {partner_id} signed by MOSIP expires \
             on {} (in {days} day(s) or less). Please upload a renewed certificate before then.",
            mosip_datetime(expires_on)
        ),
    )
}

/// Reminder: an API key expires in `days` days or less (PMS's scheduled API-key reminder,
/// `notifications.sent.before.days`). The key is named by label, never mailed.
pub fn api_key_expiring(
    to: &str,
    partner_id: &str,
    label: &str,
    policy_name: &str,
    expires_on: OffsetDateTime,
    days: u32,
) -> Email {
    mail(
        to,
        "API Key Expiring",
        format!(
            "Dear Partner, the apikey {label} of partner ID {partner_id} for policy \
             {policy_name} expires on {} (in {days} day(s) or less).",
            mosip_datetime(expires_on)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn status_mail_uses_the_seed_text() {
        let m = partner_status("a@b.org", "p1", false, datetime!(2026-01-02 03:04:05 UTC));
        assert!(m
            .content
            .contains("partner ID p1 in Portal is Deactivated on 2026-01-02T03:04:05.000Z"));
        let k = api_key_status(
            "a@b.org",
            &ApiKeyNotice {
                label: "lbl",
                policy_name: "pol",
                key_active: true,
                key_expires_on: datetime!(2026-01-02 00:00 UTC),
                policy_active: true,
                policy_expires_on: datetime!(2226-01-02 00:00 UTC),
            },
        );
        assert!(k.content.contains("apikey lbl status is Active"));
    }
}
