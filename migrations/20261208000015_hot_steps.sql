-- Engine v2 (issue 15): a step's status change is a HOT update.
--
-- A step row changes status three or four times in its life (pending, queued, running,
-- succeeded). While `status`, `lease_until` and `next_attempt_at` sat in partial indexes,
-- every one of those changes wrote a new entry into each index of the table. Without them,
-- and with room left in each page, Postgres updates the row in place (heap-only tuple): no
-- index is touched on the hot path.
--
-- Leases keep an index of their own, on rows that have one: a local step (a database write,
-- the bulk of the hot path) never takes a lease, so its updates stay HOT; an external step's
-- claim and completion touch it, next to an HTTP call. Late queued steps and the backlog
-- gauges go through the running runs: a run changes status once, so its partial index costs
-- nothing per step, and a running run's steps are found through (run_id, seq).
DROP INDEX workflow_step_leases;
DROP INDEX workflow_step_queued;
CREATE INDEX workflow_step_leased ON workflow_step (lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX workflow_run_running ON workflow_run (id) WHERE status = 'running';
ALTER TABLE workflow_step SET (fillfactor = 60);

-- An attempt row is inserted by the statement that updates its step (the completion's CTE):
-- the foreign key's check (a key-share lock on that very row) bought nothing there.
ALTER TABLE step_attempt DROP CONSTRAINT step_attempt_step_id_fkey;
