use std::time::Duration;

/// Delay before retry number `attempt` (1-based): `base * 2^(attempt-1)`, capped, with
/// ±25% jitter so that retries of many deliveries do not arrive together.
pub fn backoff(attempt: i32, base: Duration, cap: Duration) -> Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    let raw = base.saturating_mul(1 << exponent).min(cap);
    let jitter = 0.75 + rand::random::<f64>() * 0.5;
    raw.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_cap_with_jitter() {
        let base = Duration::from_secs(15);
        let cap = Duration::from_secs(900);
        for attempt in 1..=10 {
            let expected = (15u64 << (attempt - 1)).min(900) as f64;
            let got = backoff(attempt, base, cap).as_secs_f64();
            assert!(
                got >= expected * 0.75 - 1e-9 && got <= expected * 1.25 + 1e-9,
                "{attempt}: {got}"
            );
        }
    }

    #[test]
    fn default_schedule_spans_about_half_an_hour() {
        let total: f64 = (1..8).map(|a| (15u64 << (a - 1)).min(900) as f64).sum();
        assert!((1500.0..=2100.0).contains(&total), "{total}");
    }
}
