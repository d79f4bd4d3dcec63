-- Expiry reminders sent (issue 4): one row per (kind, subject, threshold, expiry), so each
-- reminder goes out once, and a renewed certificate or key (another expiry) starts over.
CREATE TABLE expiry_reminder (
    kind            text NOT NULL CHECK (kind IN ('certificate', 'api_key')),
    subject         text NOT NULL,        -- partner id / API key label "<partner>:<policy>:<label>"
    threshold_days  int  NOT NULL,
    expires_at      timestamptz NOT NULL,
    sent_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, subject, threshold_days, expires_at)
);
CREATE INDEX partner_certificate_expiry ON partner_certificate (signed_not_after);
