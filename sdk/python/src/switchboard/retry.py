"""When a failed call is tried again."""

from __future__ import annotations

import dataclasses
import random

import grpc

from switchboard.errors import SwitchboardError


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Retries of UNAVAILABLE answers only, with exponential backoff and jitter.

    Only UNAVAILABLE means the call did nothing or may safely be repeated: the client gives
    every call that creates something the ids that make a repeat answer the first result
    (see `Client`). The pause before attempt n+1 is drawn between half and all of
    `min(max_backoff, initial_backoff * multiplier ** (n - 1))` seconds, and is never shorter
    than the RetryInfo delay the service sent. No attempt starts past the call's deadline.
    """

    max_attempts: int = 5
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    multiplier: float = 2.0

    def pause(self, attempt: int, error: SwitchboardError) -> float | None:
        """Seconds to wait after failed attempt `attempt` (from 1), or None to give up."""
        if error.code is not grpc.StatusCode.UNAVAILABLE or attempt >= self.max_attempts:
            return None
        backoff = min(self.max_backoff, self.initial_backoff * self.multiplier ** (attempt - 1))
        # Jitter spreads the retries of many clients that failed together.
        return max(random.uniform(backoff / 2, backoff), error.retry_delay or 0.0)
