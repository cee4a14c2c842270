//! CPU time and memory of processes, read from `/proc` (Linux): the service's child process,
//! and the whole Postgres cluster the bench runs against.

use std::sync::OnceLock;

use sqlx::PgPool;

/// Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`; 100 on Linux).
fn clock_ticks() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// The fields of `/proc/<pid>/stat` after the command name (which may hold spaces):
/// index 0 is field 3 (state), so field n is at n - 3.
fn stat_fields(pid: u32) -> Option<Vec<u64>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    // The state is a letter: kept as 0 so that the indices stay those of the fields.
    Some(
        rest.split_whitespace()
            .map(|f| f.parse().unwrap_or(0))
            .collect(),
    )
}

const PPID: usize = 4 - 3;
const UTIME: usize = 14 - 3;
const STIME: usize = 15 - 3;
/// Times of children the process has waited for (a postmaster reaps its backends).
const CUTIME: usize = 16 - 3;
const CSTIME: usize = 17 - 3;

fn ticks(fields: &[u64], at: &[usize]) -> u64 {
    at.iter().filter_map(|&i| fields.get(i)).sum()
}

/// User + system CPU seconds a process has used so far (`None` once it is gone).
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let fields = stat_fields(pid)?;
    Some(ticks(&fields, &[UTIME, STIME]) as f64 / clock_ticks())
}

/// Peak resident set (VmHWM) of a process, in MiB.
pub fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The Postgres cluster behind a pool, on this machine.
pub struct PgCluster {
    postmaster: u32,
}

impl PgCluster {
    /// The postmaster is the parent of any backend, e.g. the one serving this query.
    pub async fn of(pool: &PgPool) -> Option<Self> {
        let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(pool)
            .await
            .ok()?;
        let fields = stat_fields(u32::try_from(backend).ok()?)?;
        let postmaster = u32::try_from(*fields.get(PPID)?).ok()?;
        Some(Self { postmaster })
    }

    /// CPU seconds of the whole cluster so far: the postmaster, every live child (backends,
    /// WAL writer, checkpointer, autovacuum) and, through the postmaster's children times,
    /// every child that has exited.
    pub fn cpu_seconds(&self) -> f64 {
        let Some(own) = stat_fields(self.postmaster) else {
            return f64::NAN;
        };
        let mut total = ticks(&own, &[UTIME, STIME, CUTIME, CSTIME]);
        let children = std::fs::read_dir("/proc").into_iter().flatten().flatten();
        for entry in children {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            if let Some(fields) = stat_fields(pid)
                && fields.get(PPID) == Some(&u64::from(self.postmaster))
            {
                total += ticks(&fields, &[UTIME, STIME]);
            }
        }
        total as f64 / clock_ticks()
    }
}
