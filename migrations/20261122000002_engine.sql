-- The engine (DESIGN.md §2): Postgres is the truth, Redis is the doorbell.

CREATE TABLE workflow_run (
    id               uuid PRIMARY KEY,
    kind             text NOT NULL,
    version          int  NOT NULL,
    subject          text,                       -- e.g. the partner id
    status           text NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
    input            jsonb NOT NULL,
    idempotency_key  text,
    created_by       text NOT NULL,
    error_code       text,
    error_message    text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz
);
CREATE UNIQUE INDEX workflow_run_idempotency ON workflow_run (created_by, kind, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX workflow_run_list ON workflow_run (created_at DESC, id);
CREATE INDEX workflow_run_subject ON workflow_run (subject, created_at DESC);

-- pending: not reached yet; queued: dispatched or waiting for its retry time; running: leased;
-- succeeded / failed / skipped: terminal.
CREATE TABLE workflow_step (
    id               uuid PRIMARY KEY,
    run_id           uuid NOT NULL REFERENCES workflow_run (id),
    step_key         text NOT NULL,
    seq              int  NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'queued', 'running', 'succeeded', 'failed', 'skipped')),
    required         boolean NOT NULL DEFAULT true,
    attempt          int  NOT NULL DEFAULT 0,    -- attempts started so far
    max_attempts     int  NOT NULL,
    backoff          jsonb NOT NULL,
    next_attempt_at  timestamptz,
    lease_owner      text,
    lease_until      timestamptz,
    effect_key       text NOT NULL,              -- stable idempotency key of the step's side effect
    output           jsonb,
    last_error       jsonb,
    started_at       timestamptz,
    finished_at      timestamptz,
    -- One index serves both the run's step order and the lookups by run; step keys are unique
    -- within a definition (checked when the run is created).
    UNIQUE (run_id, seq)
);
CREATE INDEX workflow_step_leases ON workflow_step (lease_until) WHERE status = 'running';
CREATE INDEX workflow_step_queued ON workflow_step (next_attempt_at) WHERE status = 'queued';

-- Append-only history of every attempt.
-- Keyed by (step, attempt): one index to maintain per attempt on the hot path.
CREATE TABLE step_attempt (
    step_id      uuid NOT NULL REFERENCES workflow_step (id),
    attempt      int  NOT NULL,
    run_id       uuid NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'lease_expired')),
    error        jsonb,
    worker       text,
    started_at   timestamptz,
    finished_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (step_id, attempt)
);

-- Steps ready to be dispatched to Redis; a row lives until the relay (or the worker's fast
-- path) has pushed it.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    step_id     uuid NOT NULL REFERENCES workflow_step (id),
    attempt     int  NOT NULL,               -- attempts started before this dispatch
    not_before  timestamptz NOT NULL DEFAULT now(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (step_id, attempt)
);
CREATE INDEX outbox_due ON outbox (not_before, id);

-- What operators did (issue 5 builds the console on it).
CREATE TABLE operator_action (
    id          bigserial PRIMARY KEY,
    actor       text NOT NULL,
    action      text NOT NULL,
    run_id      uuid,
    step_id     uuid,
    reason      text NOT NULL,
    before      jsonb,
    after       jsonb,
    at          timestamptz NOT NULL DEFAULT now()
);

-- One run per (schedule, fire time) across replicas (the scheduler builds on it).
CREATE TABLE cron_fire (
    schedule   text NOT NULL,
    fire_at    timestamptz NOT NULL,
    run_id     uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (schedule, fire_at)
);

-- Tables the synthetic benchmark workflow touches (one business transaction per step).
CREATE TABLE bench_account (
    id       uuid PRIMARY KEY,
    balance  bigint NOT NULL DEFAULT 0
);
CREATE TABLE bench_log (
    id       bigserial PRIMARY KEY,
    account  uuid NOT NULL,
    step     text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);
