-- Who may read a run without the run readers' role: the partner it is about, recorded when
-- the run is created (never inferred from `subject` or `created_by` at read time).
ALTER TABLE workflow_run ADD COLUMN owner_partner_id text;

-- Runs created before: the partner runs whose subject is a partner id.
UPDATE workflow_run r
   SET owner_partner_id = r.subject
 WHERE r.kind IN ('onboarding', 'certificate_upload', 'oidc_client')
   AND EXISTS (SELECT 1 FROM partner p WHERE p.id = r.subject);
UPDATE workflow_run r
   SET owner_partner_id = r.subject
 WHERE r.kind = 'effects' AND r.ordering_key = 'partner:' || r.subject;

CREATE INDEX workflow_run_owner_idx ON workflow_run (owner_partner_id, created_at DESC, id DESC)
    WHERE owner_partner_id IS NOT NULL;

-- pmsflow's own actors live in the reserved `system:` namespace.
UPDATE workflow_run SET created_by = 'system:scheduler' WHERE created_by = 'pmsflow-scheduler';
