//! The sections of `make bench`, one per goal of the issue (the channel directory's is
//! goal 6), in the order they run.

mod directory;
mod enqueue;
mod fairness;
mod latency;
mod pacing;
mod queue_cost;
mod queue_fill;

use crate::common::Bench;

pub const ALL: [&str; 6] = [
    "enqueue",
    "pacing",
    "queue",
    "latency",
    "fairness",
    "directory",
];

pub async fn run(section: &str, bench: &mut Bench) {
    match section {
        "enqueue" => enqueue::run(bench).await,
        "pacing" => pacing::run(bench).await,
        "queue" => queue_cost::run(bench).await,
        "latency" => latency::run(bench).await,
        "fairness" => fairness::run(bench).await,
        "directory" => directory::run(bench).await,
        other => unreachable!("unknown section {other}"),
    }
}
