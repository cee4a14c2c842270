//! `make bench`: the figures of issue 12, printed, never asserted, each beside its goal
//! with `met` or `MISSED`, then all again as one table.
//!
//! 1. enqueue: SendMessage (64 callers, 20,000 messages) against raw one-row INSERTs, and
//!    BatchSendMessages of 500 against one multi-row INSERT of the same rows.
//! 2. pacing: 1,000 channels x 20 messages against a slack-sim on its own clock with random
//!    latency; 429s, duplicates, losses, and CPU per 1,000 messages.
//! 3. queue cost: claim and enqueue with a backlog and with history; peak RSS.
//! 4. latency: 500 messages/s offered, commit to Slack.
//! 5. fairness: one team's backlog against another team's messages.
//! 6. channel directory: ListChannels name_query on 20,000 channels.
//!
//! `cargo bench --bench delivery -- pacing latency` runs only the sections named.

mod common;
mod sections;

use common::Bench;

#[tokio::main]
async fn main() {
    let admin = std::env::var("DATABASE_URL").expect("DATABASE_URL (run `make bench`)");
    // `cargo bench` passes `--bench`; anything else names sections.
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if let Some(unknown) = wanted.iter().find(|w| !sections::ALL.contains(&w.as_str())) {
        eprintln!(
            "unknown section {unknown}; the sections: {}",
            sections::ALL.join(", ")
        );
        std::process::exit(2);
    }
    let mut bench = Bench::new(admin).await;
    for section in sections::ALL {
        if wanted.is_empty() || wanted.iter().any(|w| w == section) {
            sections::run(section, &mut bench).await;
        }
    }
    bench.finish().await;
}
