//! The "own clock" post pace: each channel's bucket holds up to `burst` tokens and gains one
//! at every tick of the simulator's clock (`origin + offset + k * interval`), as a Slack
//! whose limiter runs on its own timer would. Unlike the GCRA keyed on request arrival
//! (`chat::Pacer`), a client pacing itself by its own clock cannot line up with these ticks:
//! it has to leave a margin or meet 429s.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

struct Bucket {
    tokens: u32,
    /// The tick the tokens were last counted at.
    tick: u128,
}

pub struct TickBuckets {
    /// The simulator's clock starts here; ticks fall at `origin + offset + k * interval`.
    origin: Instant,
    buckets: HashMap<String, Bucket>,
}

/// A clock that starts now.
impl Default for TickBuckets {
    fn default() -> Self {
        Self::new(Instant::now())
    }
}

impl TickBuckets {
    pub fn new(origin: Instant) -> Self {
        Self {
            origin,
            buckets: HashMap::new(),
        }
    }

    /// Takes a token of `key`'s bucket, or says how long until the next tick refills it.
    /// A key seen for the first time starts full.
    pub fn allow(
        &mut self,
        key: &str,
        interval: Duration,
        burst: u32,
        offset: Duration,
        now: Instant,
    ) -> Result<(), Duration> {
        let interval = interval.as_nanos().max(1);
        let phase = offset.as_nanos() % interval;
        let elapsed = now.saturating_duration_since(self.origin).as_nanos();
        // Ticks passed so far; tick k falls at elapsed == (k - 1) * interval + phase (the
        // + interval keeps it unsigned before the first tick).
        let tick = (elapsed + interval - phase) / interval;
        let burst = burst.max(1);
        let bucket = self.buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: burst,
            tick,
        });
        let gained = u32::try_from(tick - bucket.tick).unwrap_or(u32::MAX);
        bucket.tokens = bucket.tokens.saturating_add(gained).min(burst);
        bucket.tick = tick;
        if bucket.tokens == 0 {
            let next = tick * interval + phase;
            let wait = u64::try_from(next - elapsed).unwrap_or(u64::MAX);
            return Err(Duration::from_nanos(wait));
        }
        bucket.tokens -= 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);
    const OFFSET: Duration = Duration::from_millis(37);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_new_channel_has_its_burst_then_waits_for_the_next_tick() {
        let origin = Instant::now();
        let mut buckets = TickBuckets::new(origin);
        let now = origin + ms(500);

        for _ in 0..4 {
            assert_eq!(buckets.allow("T/C", SECOND, 4, OFFSET, now), Ok(()));
        }
        let refused = buckets.allow("T/C", SECOND, 4, OFFSET, now);

        assert_eq!(refused, Err(ms(537)), "the next tick is at 1.037 s");
    }

    #[test]
    fn the_token_comes_at_the_tick_not_an_interval_after_the_last_post() {
        let origin = Instant::now();
        let mut buckets = TickBuckets::new(origin);
        let first = origin + ms(900);
        assert_eq!(buckets.allow("T/C", SECOND, 1, OFFSET, first), Ok(()));

        let before_tick = buckets.allow("T/C", SECOND, 1, OFFSET, origin + ms(1036));
        let at_tick = buckets.allow("T/C", SECOND, 1, OFFSET, origin + ms(1037));

        assert_eq!(before_tick, Err(ms(1)));
        assert_eq!(
            at_tick,
            Ok(()),
            "137 ms after the last post, because the clock ticked"
        );
    }

    #[test]
    fn tokens_refill_one_per_tick_up_to_the_burst() {
        let origin = Instant::now();
        let mut buckets = TickBuckets::new(origin);
        for _ in 0..3 {
            assert!(buckets.allow("T/C", SECOND, 3, OFFSET, origin).is_ok());
        }

        // Ten ticks later the bucket holds 3, not 10.
        let later = origin + ms(10_100);
        let allowed = (0..10)
            .take_while(|_| buckets.allow("T/C", SECOND, 3, OFFSET, later).is_ok())
            .count();

        assert_eq!(allowed, 3);
    }

    #[test]
    fn channels_have_buckets_of_their_own() {
        let origin = Instant::now();
        let mut buckets = TickBuckets::new(origin);
        assert!(buckets.allow("T/C1", SECOND, 1, OFFSET, origin).is_ok());
        assert!(buckets.allow("T/C1", SECOND, 1, OFFSET, origin).is_err());

        let other = buckets.allow("T/C2", SECOND, 1, OFFSET, origin);

        assert_eq!(other, Ok(()));
    }

    #[test]
    fn an_offset_of_whole_intervals_is_no_offset() {
        let origin = Instant::now();
        let mut buckets = TickBuckets::new(origin);
        assert!(buckets.allow("T/C", SECOND, 1, ms(2037), origin).is_ok());

        let refused = buckets.allow("T/C", SECOND, 1, ms(2037), origin + ms(10));

        assert_eq!(refused, Err(ms(27)));
    }
}
