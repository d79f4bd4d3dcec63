//! What a benchmark's window cost the machine, sampled before and after it: CPU time of this
//! process and of every PostgreSQL process (`/proc/<pid>/stat`, user + system), PostgreSQL's
//! statements when the `pg_stat_statements` extension is installed (its counters are current;
//! `pg_stat_database`'s lag up to seconds behind busy backends, so they are not used),
//! Redis's commands (`INFO commandstats`) and memory (`INFO memory`), and the steps the
//! reconciler re-dispatched.

use std::fs;

use sqlx::PgPool;

/// One sample; a window's figures are the difference of two.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// CPU time of this process, ms.
    pub own_cpu_ms: f64,
    /// CPU time of every process named `postgres` (backends and background processes), ms.
    pub postgres_cpu_ms: f64,
    /// Statements executed, all databases (`pg_stat_statements`), when installed.
    pub pg_statements: Option<i64>,
    /// Commands Redis executed, all clients (`INFO commandstats`).
    pub redis_commands: i64,
    /// Redis `used_memory`, MiB.
    pub redis_used_memory_mib: f64,
    /// Steps this process's reconciler re-dispatched so far.
    pub redispatched: u64,
}

/// User + system CPU ticks of a `/proc/<pid>/stat` line: its 14th and 15th fields, counted
/// after the command name in parentheses (which may itself hold spaces and parentheses).
fn stat_ticks(stat: &str) -> Option<u64> {
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// CPU time (user + system) of process `pid` (`self` for this one), ms; `None` when it is
/// gone or unreadable.
fn cpu_ms(pid: &str) -> Option<f64> {
    let ticks = stat_ticks(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)?;
    Some(ticks as f64 * 1000.0 / rustix::param::clock_ticks_per_second() as f64)
}

/// CPU time of every `postgres` process this machine runs, ms.
fn postgres_cpu_ms() -> f64 {
    let Ok(entries) = fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres")
        })
        .filter_map(|pid| cpu_ms(&pid))
        .sum()
}

/// The `name:value` lines of a Redis INFO answer.
fn info_value<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

/// Sample now.
///
/// # Errors
/// A database or Redis failure.
pub async fn sample(pool: &PgPool, redis: &redis::Client) -> anyhow::Result<Usage> {
    let mut conn = redis.get_multiplexed_async_connection().await?;
    let commands: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut conn)
        .await?;
    let memory: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut conn)
        .await?;
    let redis_commands = commands
        .lines()
        .filter(|l| l.starts_with("cmdstat_"))
        .filter_map(|l| {
            l.split("calls=")
                .nth(1)?
                .split(',')
                .next()?
                .parse::<i64>()
                .ok()
        })
        .sum();
    let used: f64 = info_value(&memory, "used_memory")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let pg_statements: Option<i64> =
        sqlx::query_scalar("SELECT sum(calls)::int8 FROM pg_stat_statements")
            .fetch_one(pool)
            .await
            .ok()
            .flatten();
    Ok(Usage {
        own_cpu_ms: cpu_ms("self").unwrap_or(0.0),
        postgres_cpu_ms: postgres_cpu_ms(),
        pg_statements,
        redis_commands,
        redis_used_memory_mib: used / (1024.0 * 1024.0),
        redispatched: pmsflow_store::metrics::redispatched_so_far(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_and_info_lines_are_read() {
        let stat =
            "4242 (postgres: a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 37 5 0 0 20 0 1 0";
        assert_eq!(stat_ticks(stat), Some(42));
        assert_eq!(stat_ticks("garbage"), None);
        assert!(cpu_ms("self").is_some());
        let info = "# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n";
        assert_eq!(info_value(info, "used_memory"), Some("1048576"));
        assert_eq!(info_value(info, "maxmemory"), None);
    }
}
