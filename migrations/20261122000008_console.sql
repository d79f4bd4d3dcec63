-- The operator console (issue 5): operator audit log, bulk actions, worker heartbeats.
-- (Live updates come from the run-status notifications the engine and the operator actions
-- already send; a notification per step commit would serialise every commit on Postgres's
-- notification queue lock.)

-- Who did what to which run, schedule or partner, and why.
ALTER TABLE operator_action
    ADD COLUMN subject text,                 -- partner id or schedule name the action concerns
    ADD COLUMN bulk_id uuid;                 -- the bulk action this entry belongs to
CREATE INDEX operator_action_at ON operator_action (at DESC, id DESC);
CREATE INDEX operator_action_run ON operator_action (run_id, at DESC) WHERE run_id IS NOT NULL;
-- A bulk action acts at most once on each run, even when its step is retried.
CREATE UNIQUE INDEX operator_action_bulk_run ON operator_action (bulk_id, run_id)
    WHERE bulk_id IS NOT NULL;

-- The attempt budget a step was created with: an operator's "retry from the failed step"
-- grants it afresh (max_attempts = attempt + budget). NULL: max_attempts was never raised.
ALTER TABLE workflow_step ADD COLUMN budget int;

-- Finished runs by time, for the console's throughput chart.
CREATE INDEX workflow_run_finished ON workflow_run (finished_at) WHERE finished_at IS NOT NULL;

-- A bulk action over many runs, run as a tracked `bulk_action` run (same id).
CREATE TABLE bulk_action (
    id          uuid PRIMARY KEY,
    action      text NOT NULL CHECK (action IN ('retry', 'cancel')),
    actor       text NOT NULL,
    reason      text NOT NULL,
    filter      jsonb,                       -- the filter the runs were selected by, if any
    run_ids     uuid[] NOT NULL,             -- the runs matched when the action was confirmed
    total       int NOT NULL,
    done        int NOT NULL DEFAULT 0,
    applied     int NOT NULL DEFAULT 0,
    skipped     int NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Live workers: each worker process upserts its row every few seconds.
CREATE TABLE worker_heartbeat (
    worker          text PRIMARY KEY,
    started_at      timestamptz NOT NULL DEFAULT now(),
    last_heartbeat  timestamptz NOT NULL DEFAULT now()
);
