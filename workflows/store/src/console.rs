//! What the operator console reads: the overview (runs by kind and status, throughput,
//! oldest ready step, outbox lag, live workers), the filtered run list, a run's partner and
//! sibling runs, and the workers' heartbeats.

use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Row};
use time::OffsetDateTime;
use uuid::Uuid;

/// Runs of one kind in one status.
#[derive(Debug, Clone, Serialize)]
pub struct KindStatusCount {
    /// Workflow kind.
    pub kind: String,
    /// Run status.
    pub status: String,
    /// How many.
    pub count: i64,
}

/// Runs finished in one time bucket.
#[derive(Debug, Clone, Serialize)]
pub struct ThroughputBucket {
    /// Start of the bucket (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Runs completed in it.
    pub completed: i64,
    /// Runs failed in it.
    pub failed: i64,
}

/// The queued step that has waited longest since it became due.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadyStep {
    /// Its run.
    pub run_id: Uuid,
    /// Its key.
    pub step_key: String,
    /// When it became due.
    #[serde(with = "time::serde::rfc3339")]
    pub ready_since: OffsetDateTime,
    /// Seconds since then.
    pub age_seconds: f64,
}

/// Steps due in the outbox and not yet pushed to Redis.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxLag {
    /// Due rows.
    pub rows: i64,
    /// Age of the oldest due row, seconds.
    pub oldest_age_seconds: Option<f64>,
}

/// A worker process and its last heartbeat.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerView {
    /// Worker name (namespace, process id, unique suffix).
    pub name: String,
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// Its last heartbeat.
    #[serde(with = "time::serde::rfc3339")]
    pub last_heartbeat: OffsetDateTime,
    /// Seconds since then.
    pub age_seconds: f64,
    /// Heartbeat younger than the liveness limit.
    pub alive: bool,
}

/// The console's overview.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    /// Runs by kind and status.
    pub by_kind_status: Vec<KindStatusCount>,
    /// Finished runs per bucket over the window, oldest first, empty buckets included.
    pub throughput: Vec<ThroughputBucket>,
    /// Bucket width, seconds.
    pub bucket_seconds: i64,
    /// Failed / finished over the window (0 when nothing finished).
    pub failure_rate: f64,
    /// Oldest due queued step.
    pub oldest_ready_step: Option<ReadyStep>,
    /// Outbox lag.
    pub outbox: OutboxLag,
    /// Workers seen in the last day, newest heartbeat first.
    pub workers: Vec<WorkerView>,
    /// How many are alive.
    pub workers_alive: usize,
}

/// Read the overview over the last `window_s` seconds in `buckets` buckets; a worker is alive
/// when its heartbeat is younger than `alive_within_s` seconds.
pub async fn overview(
    pool: &PgPool,
    window_s: i64,
    buckets: i64,
    alive_within_s: f64,
) -> Result<Overview, sqlx::Error> {
    let by_kind_status = sqlx::query(
        "SELECT kind, status, count(*) AS n FROM workflow_run GROUP BY kind, status ORDER BY kind, status",
    )
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| {
        Ok(KindStatusCount {
            kind: r.try_get("kind")?,
            status: r.try_get("status")?,
            count: r.try_get("n")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let bucket_seconds = (window_s / buckets.max(1)).max(1);
    let throughput = sqlx::query(
        "WITH b AS (
            SELECT generate_series(
                       date_bin(make_interval(secs => $1), now() - make_interval(secs => $2), 'epoch'),
                       now(), make_interval(secs => $1)) AS at
         )
         SELECT b.at,
                count(r.id) FILTER (WHERE r.status = 'completed') AS completed,
                count(r.id) FILTER (WHERE r.status = 'failed') AS failed
           FROM b LEFT JOIN workflow_run r
             ON r.finished_at >= b.at AND r.finished_at < b.at + make_interval(secs => $1)
          GROUP BY b.at ORDER BY b.at",
    )
    .bind(bucket_seconds as f64)
    .bind(window_s as f64)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| {
        Ok(ThroughputBucket {
            at: r.try_get("at")?,
            completed: r.try_get("completed")?,
            failed: r.try_get("failed")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let (done, failed) = throughput.iter().fold((0, 0), |(d, f), b| {
        (d + b.completed + b.failed, f + b.failed)
    });
    let failure_rate = if done == 0 {
        0.0
    } else {
        failed as f64 / done as f64
    };
    let oldest_ready_step = sqlx::query(
        "SELECT s.run_id, s.step_key, s.next_attempt_at,
                extract(epoch FROM now() - s.next_attempt_at)::float8 AS age
           FROM workflow_run r JOIN workflow_step s ON s.run_id = r.id
          WHERE r.status = 'running' AND s.status = 'queued' AND s.next_attempt_at <= now()
          ORDER BY s.next_attempt_at LIMIT 1",
    )
    .fetch_optional(pool)
    .await?
    .map(|r| {
        Ok::<_, sqlx::Error>(ReadyStep {
            run_id: r.try_get("run_id")?,
            step_key: r.try_get("step_key")?,
            ready_since: r.try_get("next_attempt_at")?,
            age_seconds: r.try_get("age")?,
        })
    })
    .transpose()?;
    let lag = sqlx::query(
        "SELECT count(*) AS n, extract(epoch FROM now() - min(not_before))::float8 AS age
           FROM outbox WHERE not_before <= now()",
    )
    .fetch_one(pool)
    .await?;
    let workers = sqlx::query(
        "SELECT worker, started_at, last_heartbeat,
                extract(epoch FROM now() - last_heartbeat)::float8 AS age
           FROM worker_heartbeat WHERE last_heartbeat > now() - interval '1 day'
          ORDER BY last_heartbeat DESC LIMIT 100",
    )
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| {
        let age: f64 = r.try_get("age")?;
        Ok(WorkerView {
            name: r.try_get("worker")?,
            started_at: r.try_get("started_at")?,
            last_heartbeat: r.try_get("last_heartbeat")?,
            age_seconds: age,
            alive: age < alive_within_s,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let workers_alive = workers.iter().filter(|w| w.alive).count();
    Ok(Overview {
        by_kind_status,
        throughput,
        bucket_seconds,
        failure_rate,
        oldest_ready_step,
        outbox: OutboxLag {
            rows: lag.try_get("n")?,
            oldest_age_seconds: lag.try_get("age")?,
        },
        workers,
        workers_alive,
    })
}

/// Record a heartbeat of `worker` (and forget workers silent for a day).
pub async fn heartbeat(pool: &PgPool, worker: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH gone AS (DELETE FROM worker_heartbeat WHERE last_heartbeat < now() - interval '1 day')
         INSERT INTO worker_heartbeat (worker) VALUES ($1)
         ON CONFLICT (worker) DO UPDATE SET last_heartbeat = now()",
    )
    .bind(worker)
    .execute(pool)
    .await?;
    Ok(())
}

/// Remove `worker`'s heartbeat (a clean shutdown).
pub async fn forget_worker(pool: &PgPool, worker: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM worker_heartbeat WHERE worker = $1")
        .bind(worker)
        .execute(pool)
        .await?;
    Ok(())
}

/// Server-side filters of the console's run list; `None` means any. Shared by the bulk
/// actions, which act on everything a filter matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsoleFilter {
    /// Workflow kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Run status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Partner id (the run's subject).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    /// Partner type of the run's partner, e.g. `Auth_Partner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_type: Option<String>,
    /// Key of the step the run is at (the failed step of a failed run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Error code of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Created at or after (RFC 3339).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub from: Option<OffsetDateTime>,
    /// Created before (RFC 3339).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub to: Option<OffsetDateTime>,
    /// Free text: a run id (or its first or last characters), a partner id or an idempotency
    /// key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
}

/// One row of the console's run list.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRow {
    /// Run id.
    pub id: Uuid,
    /// Workflow kind.
    pub kind: String,
    /// Partner id or other subject.
    pub subject: Option<String>,
    /// The partner's type, when the subject is a partner.
    pub partner_type: Option<String>,
    /// Run status.
    pub status: String,
    /// The step the run is at: the first step not succeeded or skipped.
    pub current_step: Option<String>,
    /// Code of the failure that ended the run.
    pub error_code: Option<String>,
    /// Its message.
    pub error_message: Option<String>,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change of the run row.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Finished.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

/// The `WHERE` of [`ConsoleFilter`] over `workflow_run r` with `p` (partner, left-joined) and
/// `cur` (the current step); binds `$1`..`$9`.
const FILTER_SQL: &str = "($1::text IS NULL OR r.kind = $1)
    AND ($2::text IS NULL OR r.status = $2)
    AND ($3::text IS NULL OR r.subject = $3)
    AND ($4::text IS NULL OR p.partner_type_code = $4)
    AND ($5::text IS NULL OR cur.step_key = $5)
    AND ($6::text IS NULL OR r.error_code = $6)
    AND ($7::timestamptz IS NULL OR r.created_at >= $7)
    AND ($8::timestamptz IS NULL OR r.created_at < $8)
    AND ($9::text IS NULL OR starts_with(r.id::text, lower($9))
         OR right(r.id::text, char_length($9)) = lower($9)
         OR r.subject = $9 OR r.idempotency_key = $9)";

const FROM_SQL: &str = "FROM workflow_run r
    LEFT JOIN partner p ON p.id = r.subject
    LEFT JOIN LATERAL (SELECT s.step_key FROM workflow_step s
                        WHERE s.run_id = r.id AND s.status NOT IN ('succeeded', 'skipped')
                        ORDER BY s.seq LIMIT 1) cur ON true";

fn bind_filter<'q>(
    q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    f: &'q ConsoleFilter,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let blank = |s: &'q Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty());
    q.bind(blank(&f.kind))
        .bind(blank(&f.status))
        .bind(blank(&f.partner_id))
        .bind(blank(&f.partner_type))
        .bind(blank(&f.step))
        .bind(blank(&f.error_code))
        .bind(f.from)
        .bind(f.to)
        .bind(blank(&f.q))
}

/// Runs matching `filter`, newest first, at most `limit` (1..=500), after run `cursor`
/// (keyset on `(created_at, id)`, stable while runs are added). Returns the rows and the
/// cursor of the next page.
pub async fn list_runs(
    pool: &PgPool,
    filter: &ConsoleFilter,
    cursor: Option<Uuid>,
    limit: i64,
) -> Result<(Vec<RunRow>, Option<Uuid>), sqlx::Error> {
    let limit = limit.clamp(1, 500);
    let sql = format!(
        "SELECT r.id, r.kind, r.subject, p.partner_type_code, r.status, cur.step_key, r.error_code,
                r.error_message, r.created_at, r.updated_at, r.finished_at
           {FROM_SQL}
          WHERE {FILTER_SQL}
            AND ($10::uuid IS NULL OR (r.created_at, r.id) < (SELECT created_at, id FROM workflow_run WHERE id = $10))
          ORDER BY r.created_at DESC, r.id DESC LIMIT $11"
    );
    let rows = bind_filter(sqlx::query(&sql), filter)
        .bind(cursor)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    let runs = rows
        .iter()
        .map(|r| {
            Ok(RunRow {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                subject: r.try_get("subject")?,
                partner_type: r.try_get("partner_type_code")?,
                status: r.try_get("status")?,
                current_step: r.try_get("step_key")?,
                error_code: r.try_get("error_code")?,
                error_message: r.try_get("error_message")?,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
                finished_at: r.try_get("finished_at")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let next = (runs.len() as i64 == limit)
        .then(|| runs.last().map(|r| r.id))
        .flatten();
    Ok((runs, next))
}

/// Ids of the runs matching `filter` whose status is one of `statuses`, oldest first, at most
/// `limit`; the count of all such runs is returned too.
pub async fn matching_runs(
    conn: &mut sqlx::PgConnection,
    filter: &ConsoleFilter,
    statuses: &[&str],
    limit: i64,
) -> Result<(Vec<Uuid>, i64), sqlx::Error> {
    let sql = format!(
        "SELECT r.id, count(*) OVER () AS total {FROM_SQL}
          WHERE {FILTER_SQL} AND r.status = ANY($10)
          ORDER BY r.created_at, r.id LIMIT $11"
    );
    let statuses: Vec<String> = statuses.iter().map(|s| (*s).to_owned()).collect();
    let rows = bind_filter(sqlx::query(&sql), filter)
        .bind(statuses)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let total = rows
        .first()
        .map(|r| r.try_get::<i64, _>("total"))
        .transpose()?
        .unwrap_or(0);
    let ids = rows
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<Vec<Uuid>, _>>()?;
    Ok((ids, total))
}

/// The distinct workflow kinds present, for the filter form.
pub async fn kinds(pool: &PgPool) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT kind FROM workflow_run ORDER BY kind")
        .fetch_all(pool)
        .await
}

/// The partner a run concerns, as the console shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerCard {
    /// Partner id.
    pub partner_id: String,
    /// Partner type.
    pub partner_type: String,
    /// Organisation name.
    pub organization_name: String,
    /// PMS status word: `Active` or `De-active`.
    pub status: String,
    /// Approval status.
    pub approval_status: String,
}

/// The partner `partner_id`, if it exists.
pub async fn partner_card(
    pool: &PgPool,
    partner_id: &str,
) -> Result<Option<PartnerCard>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, partner_type_code, name, is_active, approval_status FROM partner WHERE id = $1",
    )
    .bind(partner_id)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        let active: bool = r.try_get("is_active")?;
        Ok(PartnerCard {
            partner_id: r.try_get("id")?,
            partner_type: r.try_get("partner_type_code")?,
            organization_name: r.try_get("name")?,
            status: if active { "Active" } else { "De-active" }.to_owned(),
            approval_status: r.try_get("approval_status")?,
        })
    })
    .transpose()
}

/// What a running run is waiting for: its ordering key, and the run of that key that must end
/// first (the earliest one at work or ahead of it).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitingFor {
    /// The ordering key, e.g. `partner:<id>`.
    pub ordering_key: String,
    /// The run ahead of it, if one is (none: the reconciler starts it within its interval).
    pub run_id: Option<Uuid>,
}

/// `Some` when run `id` is running and waits for its ordering key: its first open step is
/// `pending` (a new run queued behind the partner's other runs, or a retried run waiting for
/// the run at work).
pub async fn waiting_for(pool: &PgPool, id: Uuid) -> Result<Option<WaitingFor>, sqlx::Error> {
    let row: Option<(String, Option<Uuid>)> = sqlx::query_as(
        "SELECT r.ordering_key,
                (SELECT p.id FROM workflow_run p
                  WHERE p.ordering_key = r.ordering_key AND p.status = 'running' AND p.id <> r.id
                    AND (p.ordering_seq < r.ordering_seq
                         OR EXISTS (SELECT 1 FROM workflow_step a
                                     WHERE a.run_id = p.id AND a.status IN ('queued', 'running')))
                  ORDER BY p.ordering_seq LIMIT 1)
           FROM workflow_run r
          WHERE r.id = $1 AND r.status = 'running' AND r.ordering_key IS NOT NULL
            AND (SELECT x.status FROM workflow_step x
                  WHERE x.run_id = r.id AND x.status IN ('pending', 'queued', 'running')
                  ORDER BY x.seq LIMIT 1) = 'pending'",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(ordering_key, run_id)| WaitingFor {
        ordering_key,
        run_id,
    }))
}
