//! Group commit: concurrent callers' writes of one kind share a transaction. A caller
//! hands its item to a runner and waits for its own answer, which comes only once the
//! batch holding it has committed (or failed). At most `flushes` batches are in flight;
//! the next batch takes whatever queued while they were committing, so batches grow with
//! load and a lone caller waits for nobody.
//!
//! Per row, a batch costs one share of a handful of statements instead of a transaction of
//! its own: the round trips, parse and plan work, and commit of each row are what bound a
//! one-row-per-transaction outbox on a small machine.

use std::{future::Future, sync::Arc};

use tokio::sync::{Semaphore, mpsc, oneshot};

struct Job<I, O> {
    item: I,
    answer: oneshot::Sender<O>,
}

/// The submitting side of a running group-commit loop.
pub(super) struct GroupCommit<I, O> {
    queue: mpsc::Sender<Job<I, O>>,
}

impl<I: Send + 'static, O: Send + 'static> GroupCommit<I, O> {
    /// Starts the loop on the current runtime. `flush` gets a batch of at most `max_batch`
    /// items and must answer each, in order; it runs in a task of its own, so a caller
    /// that gives up waiting never cuts a batch short.
    pub fn start<F, Fut>(max_batch: usize, flushes: usize, flush: F) -> Self
    where
        F: Fn(Vec<I>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<O>> + Send + 'static,
    {
        let (queue, mut queued) = mpsc::channel::<Job<I, O>>(max_batch * flushes * 2);
        let flush = Arc::new(flush);
        tokio::spawn(async move {
            let permits = Arc::new(Semaphore::new(flushes));
            loop {
                // A permit first, then the batch: items queue up while every flush is busy.
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    return;
                };
                let Some(first) = queued.recv().await else {
                    return;
                };
                let mut jobs = vec![first];
                while jobs.len() < max_batch {
                    match queued.try_recv() {
                        Ok(job) => jobs.push(job),
                        Err(_) => break,
                    }
                }
                let flush = flush.clone();
                tokio::spawn(async move {
                    let (items, answers): (Vec<I>, Vec<oneshot::Sender<O>>) =
                        jobs.into_iter().map(|job| (job.item, job.answer)).unzip();
                    let outputs = flush(items).await;
                    debug_assert_eq!(outputs.len(), answers.len());
                    for (answer, output) in answers.into_iter().zip(outputs) {
                        // The caller may have stopped waiting (its deadline passed).
                        let _ = answer.send(output);
                    }
                    drop(permit);
                });
            }
        });
        Self { queue }
    }

    /// The answer to `item` once its batch has been written; `None` when the loop is gone
    /// (its runtime shut down) or the flush ended without answering (it panicked).
    pub async fn submit(&self, item: I) -> Option<O> {
        let (answer, answered) = oneshot::channel();
        self.queue.send(Job { item, answer }).await.ok()?;
        answered.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn every_caller_gets_its_own_answer_and_concurrent_ones_share_batches() {
        let batches = Arc::new(AtomicUsize::new(0));
        let counted = batches.clone();
        // One flush at a time, held until every caller has queued: the first batch takes
        // the first item, the second all the others.
        let gate = Arc::new(tokio::sync::Notify::new());
        let opened = gate.clone();
        let commit = Arc::new(GroupCommit::start(100, 1, move |items: Vec<u32>| {
            let (counted, opened) = (counted.clone(), opened.clone());
            async move {
                if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                    opened.notified().await;
                }
                items.into_iter().map(|n| n * 10).collect::<Vec<_>>()
            }
        }));
        let mut callers = Vec::new();
        for n in 0..20u32 {
            let commit = commit.clone();
            callers.push(tokio::spawn(async move { commit.submit(n).await }));
            // The first item is taken alone before the others queue.
            if n == 0 {
                while batches.load(Ordering::SeqCst) == 0 {
                    tokio::task::yield_now().await;
                }
            }
        }
        while commit.queue.capacity() > commit.queue.max_capacity() - 19 {
            tokio::task::yield_now().await;
        }
        gate.notify_one();
        for (n, caller) in callers.into_iter().enumerate() {
            assert_eq!(caller.await.unwrap(), Some(n as u32 * 10));
        }
        assert_eq!(batches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_flush_that_panics_answers_none() {
        let commit = GroupCommit::start(10, 1, |_items: Vec<u32>| async move {
            panic!("flush failed");
            #[allow(unreachable_code)]
            Vec::<u32>::new()
        });
        assert_eq!(commit.submit(1).await, None);
    }
}
