-- Run retention (issue 15): the run-retention sweep deletes finished runs, their steps,
-- attempts and outbox rows older than engine.retention_days. Each pruned run leaves its id
-- here, so that asking for it answers "pruned" (410) rather than "no such run" (404).
-- Operator actions (operator_action) are kept: they are the audit log.
CREATE TABLE pruned_run (
    id          uuid PRIMARY KEY,
    kind        text NOT NULL,
    status      text NOT NULL,
    finished_at timestamptz,
    pruned_at   timestamptz NOT NULL DEFAULT now()
);
