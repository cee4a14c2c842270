//! Slack's per-method, per-workspace rate tiers, as sliding one-minute windows.

use std::{
    collections::{HashMap, VecDeque},
    time::{Duration, Instant},
};

const WINDOW: Duration = Duration::from_secs(60);

/// Calls per minute a method allows per workspace; `None` for methods without a tier here.
pub fn per_minute(method: &str) -> Option<usize> {
    Some(match method {
        "conversations.list" => 20,
        "conversations.info"
        | "conversations.join"
        | "conversations.replies"
        | "conversations.history"
        | "chat.update"
        | "chat.delete"
        | "auth.revoke" => 50,
        // Tier 4 or better in Slack; generous.
        "auth.test" => 600,
        _ => return None,
    })
}

#[derive(Default)]
pub struct RateLimiter {
    calls: HashMap<(String, String), VecDeque<Instant>>,
}

impl RateLimiter {
    /// Counts a call; `Err(retry_after)` when it is over the method's limit.
    pub fn check(
        &mut self,
        workspace_id: &str,
        method: &str,
        now: Instant,
    ) -> Result<(), Duration> {
        let Some(limit) = per_minute(method) else {
            return Ok(());
        };
        let window = self
            .calls
            .entry((workspace_id.to_owned(), method.to_owned()))
            .or_default();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            window.pop_front();
        }
        if window.len() >= limit {
            let oldest = *window.front().expect("non-empty at limit");
            let wait = WINDOW.saturating_sub(now.duration_since(oldest));
            return Err(wait.max(Duration::from_secs(1)));
        }
        window.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_two_allows_twenty_a_minute() {
        let mut limiter = RateLimiter::default();
        let start = Instant::now();
        for _ in 0..20 {
            assert!(limiter.check("T1", "conversations.list", start).is_ok());
        }
        assert!(limiter.check("T1", "conversations.list", start).is_err());
        assert!(limiter.check("T2", "conversations.list", start).is_ok());
        assert!(
            limiter
                .check("T1", "conversations.list", start + Duration::from_secs(61))
                .is_ok()
        );
    }
}
