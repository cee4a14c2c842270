//! One attempt at the head of a lane: decide, call Slack, classify what came back.

use std::time::{Duration, Instant};

use chrono::Utc;
use secrecy::SecretString;

use super::{Engine, backoff, lease::LeaseClock};
use crate::{
    crypto::token_binding,
    domain::{ChannelState, Condition, DeliveryFailure, DeliveryKind, DeliveryState, Refreshed},
    slack::{ChannelProblem, PostMessage, SlackError, SlackFailure},
    store::{AttemptRecord, Claimed, Outcome},
    telemetry::TraceContext,
};

/// How often a reply looks again for its parent's ts.
const PARENT_POLL: Duration = Duration::from_millis(500);
/// Reconciliation looks this far before the first attempt (clock skew with Slack).
const RECONCILE_SLACK: chrono::Duration = chrono::Duration::seconds(60);

/// The span of one attempt: a child of the call that queued the delivery, so whoever
/// follows that call's trace sees the message reach Slack. A delivery queued outside any
/// trace starts a trace of its own.
pub(super) fn attempt_span(head: &Claimed) -> tracing::Span {
    let span = tracing::info_span!(
        "delivery_attempt",
        delivery_id = %head.id,
        channel_id = %head.channel_id,
        kind = %head.kind,
    );
    if let Some(traceparent) = &head.traceparent {
        TraceContext {
            traceparent: traceparent.clone(),
            tracestate: head.tracestate.clone(),
        }
        .adopt(&span);
    }
    span
}

fn at(after: Duration) -> chrono::DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(after).unwrap_or_default()
}

/// The lease would run out before another call could end: stop here without calling
/// Slack. `unaccounted` says whether a post of this delivery may still be out there (an
/// earlier attempt's, not yet looked up): then it stays marked, and whoever attempts it
/// next looks in the history first, once that post has settled. Otherwise the next
/// attempt simply posts (a history lookup for nothing would cost a rate-limited call).
fn lease_short(unaccounted: bool) -> (Outcome, Option<AttemptRecord>) {
    (
        Outcome::Retry {
            error: DeliveryFailure::LeaseExpiring,
            at: Utc::now(),
            counted: false,
            maybe_sent: unaccounted,
        },
        None,
    )
}

fn failed(error: DeliveryFailure) -> (Outcome, Option<AttemptRecord>) {
    (Outcome::Failed { error }, None)
}

/// What a channel's refusal says about its state, when it says anything.
fn channel_state(problem: ChannelProblem) -> Option<ChannelState> {
    match problem {
        ChannelProblem::NotFound => Some(ChannelState::Deleted),
        ChannelProblem::Archived => Some(ChannelState::Archived),
        ChannelProblem::NotInChannel => Some(ChannelState::BotRemoved),
        ChannelProblem::NotPublic => None,
    }
}

impl Engine {
    /// Whether a call to Slack started now would end before the lease does.
    fn may_call(&self, clock: &LeaseClock) -> bool {
        clock.remaining() > self.slack.timeout()
    }

    /// Everything about one claimed delivery except recording it.
    pub(super) async fn attempt(
        &self,
        head: &Claimed,
        clock: &LeaseClock,
    ) -> (Outcome, Option<AttemptRecord>) {
        // An earlier attempt (this worker's or one that lost its lease) may still land:
        // neither look in the history nor post before it has settled.
        if head.unsettled
            && let Some(at) = head.settle_time
        {
            return (Outcome::Settle { at }, None);
        }
        // The integration and channel as they are now, not as they were at enqueue.
        let Some(sealed) = &head.access_token_enc else {
            return failed(DeliveryFailure::IntegrationDeleted);
        };
        if head.integration_enabled == Some(false) {
            return failed(DeliveryFailure::IntegrationDisabled);
        }
        if head.integration_condition == Some(Condition::Revoked) {
            return failed(DeliveryFailure::IntegrationRevoked);
        }
        if let Some(state) = head.channel_state
            && state != ChannelState::Ready
        {
            return failed(DeliveryFailure::Channel(state));
        }

        let edited_ts = match head.kind {
            DeliveryKind::Update | DeliveryKind::Delete => match head.target_state {
                Some(DeliveryState::Sent) => head.target_ts.clone(),
                Some(DeliveryState::Queued | DeliveryState::Retrying) => {
                    return (
                        Outcome::Wait {
                            at: at(PARENT_POLL),
                        },
                        None,
                    );
                }
                _ => return failed(DeliveryFailure::TargetNotDelivered),
            },
            _ => None,
        };
        let thread_ts = match head.kind {
            DeliveryKind::Reply => {
                match head.parent_state {
                    // Replies go in the thread of the root, never of another reply.
                    Some(DeliveryState::Sent) => {
                        head.parent_thread_ts.clone().or(head.parent_ts.clone())
                    }
                    Some(DeliveryState::Queued | DeliveryState::Retrying) => {
                        return (
                            Outcome::Wait {
                                at: at(PARENT_POLL),
                            },
                            None,
                        );
                    }
                    _ => return failed(DeliveryFailure::ParentNotDelivered),
                }
            }
            _ => None,
        };

        let binding = token_binding(head.team_id.as_str(), head.workspace_id.as_str());
        let token = match self.cipher.decrypt(sealed, &binding) {
            Ok(token) => token,
            Err(_) => return failed(DeliveryFailure::TokenUndecryptable),
        };

        if !self.may_call(clock) {
            return lease_short(head.attempt_start_time.is_some());
        }
        if let Some(ts) = edited_ts {
            return self.edit(head, &token, &ts).await;
        }
        if let Some(started) = head.attempt_start_time {
            match self
                .reconcile(head, &token, started, thread_ts.as_deref())
                .await
            {
                Ok(Some(outcome)) => return (outcome, None),
                Ok(None) if head.attempts >= self.config.max_attempts => {
                    return failed(DeliveryFailure::AttemptsExhausted);
                }
                Ok(None) => {}
                Err(err) => {
                    // The lookup failed, so the earlier post is still unaccounted for.
                    let (outcome, record) = self.after_error(head, err, Duration::ZERO).await;
                    return (outcome.still_maybe_sent(), record);
                }
            }
            // Nothing of it landed: the post below is the only one.
            if !self.may_call(clock) {
                return lease_short(false);
            }
        }
        self.post(head, &token, thread_ts, clock).await
    }

    /// Looks in the channel's history (a reply: in its thread) for a post of this delivery
    /// that we did not hear back about. `Some` when found (it is SENT), `None` when it
    /// never arrived. Called only once every earlier attempt has settled.
    async fn reconcile(
        &self,
        head: &Claimed,
        token: &SecretString,
        started: chrono::DateTime<Utc>,
        thread_ts: Option<&str>,
    ) -> Result<Option<Outcome>, SlackError> {
        let found = self
            .slack
            .find_delivery_post(
                token,
                head.channel_id.as_str(),
                thread_ts,
                &head.id.to_string(),
                started - RECONCILE_SLACK,
            )
            .await?;
        Ok(found.map(|message| {
            tracing::info!(delivery_id = %head.id, ts = %message.ts, "reconciled a post of unknown outcome");
            Outcome::Sent {
                ts: message.ts,
                thread_ts: message.thread_ts,
            }
        }))
    }

    /// `chat.update` / `chat.delete` of a posted message. Both are safe to repeat, so an
    /// unknown outcome needs no reconciliation. A delete that finds nothing to delete (ours
    /// repeated, or someone deleted it in Slack) got what it asked for.
    async fn edit(
        &self,
        head: &Claimed,
        token: &SecretString,
        ts: &str,
    ) -> (Outcome, Option<AttemptRecord>) {
        let started = Instant::now();
        let result = match head.kind {
            DeliveryKind::Delete => {
                match self
                    .slack
                    .chat_delete(token, head.channel_id.as_str(), ts)
                    .await
                {
                    Err(err) if err.failure() == SlackFailure::MessageNotFound => Ok(()),
                    other => other,
                }
            }
            _ => {
                self.slack
                    .chat_update(token, head.channel_id.as_str(), ts, &head.payload)
                    .await
            }
        };
        let latency = started.elapsed();
        match result {
            Ok(()) => (
                Outcome::Sent {
                    ts: ts.to_owned(),
                    thread_ts: None,
                },
                Some(AttemptRecord {
                    latency,
                    outcome: "sent",
                    slack_error: None,
                }),
            ),
            Err(err) => self.after_error(head, err, latency).await,
        }
    }

    async fn post(
        &self,
        head: &Claimed,
        token: &SecretString,
        thread_ts: Option<String>,
        clock: &LeaseClock,
    ) -> (Outcome, Option<AttemptRecord>) {
        let delivery_id = head.id.to_string();
        let post = PostMessage {
            channel: head.channel_id.as_str(),
            payload: &head.payload,
            thread_ts: thread_ts.as_deref(),
            delivery_id: &delivery_id,
        };
        let started = Instant::now();
        let mut result = self.slack.chat_post_message(token, &post).await;
        // Not in the channel (the bot was removed): join once, then post again.
        let not_in_channel = SlackFailure::Channel(ChannelProblem::NotInChannel);
        if matches!(&result, Err(err) if err.failure() == not_in_channel) {
            // Slack refused the post (not_in_channel): nothing of it is out there.
            if !self.may_call(clock) {
                return lease_short(false);
            }
            result = match self
                .slack
                .conversations_join(token, head.channel_id.as_str())
                .await
            {
                Ok(()) if self.may_call(clock) => self.slack.chat_post_message(token, &post).await,
                Ok(()) => return lease_short(false),
                Err(err) => Err(err),
            };
        }
        let latency = started.elapsed();
        match result {
            Ok(ts) => (
                Outcome::Sent { ts, thread_ts },
                Some(AttemptRecord {
                    latency,
                    outcome: "sent",
                    slack_error: None,
                }),
            ),
            Err(err) => self.after_error(head, err, latency).await,
        }
    }

    /// Classifies a failed call and applies what it says about the integration or channel.
    async fn after_error(
        &self,
        head: &Claimed,
        err: SlackError,
        latency: Duration,
    ) -> (Outcome, Option<AttemptRecord>) {
        let label = err.label();
        let record = |outcome: &'static str| {
            Some(AttemptRecord {
                latency,
                outcome,
                slack_error: Some(label.clone()),
            })
        };
        let attempts = head.attempts + 1;
        let error = || DeliveryFailure::Slack(label.clone());
        let retry = |maybe_sent: bool| Outcome::Retry {
            error: error(),
            at: at(backoff(
                attempts,
                self.config.retry_base,
                self.config.retry_cap,
            )),
            counted: true,
            maybe_sent,
        };
        let give_up = || Outcome::Failed { error: error() };
        // A failure worth retrying, while the retry budget lasts.
        let retry_or_give_up = || {
            if attempts >= self.config.max_attempts {
                give_up()
            } else {
                retry(false)
            }
        };
        match err.failure() {
            SlackFailure::RateLimited { retry_after } => {
                // The workspace pauses; this delivery keeps its place and its budget.
                let until = at(retry_after.unwrap_or(Duration::from_secs(1)));
                if let Err(e) = self.store.pause_workspace(&head.workspace_id, until).await {
                    tracing::warn!(error = %e, "could not record a workspace pause");
                }
                (
                    Outcome::Retry {
                        error: error(),
                        at: until,
                        counted: false,
                        maybe_sent: false,
                    },
                    record("rate_limited"),
                )
            }
            _ if err.outcome_unknown() => (retry(true), record("unknown")),
            SlackFailure::TokenExpired => {
                // Refresh (once across replicas), then try again at once: not a failure
                // of the delivery.
                let stale = head.access_token_enc.as_deref();
                match self.refresher.refresh(head.integration_id, stale).await {
                    Ok(Refreshed::Rotated | Refreshed::AlreadyFresh) => (
                        Outcome::Retry {
                            error: error(),
                            at: Utc::now(),
                            counted: false,
                            maybe_sent: false,
                        },
                        record("failed"),
                    ),
                    Ok(Refreshed::Revoked) => (
                        Outcome::Failed {
                            error: DeliveryFailure::RefreshTokenRefused,
                        },
                        record("failed"),
                    ),
                    Ok(Refreshed::NotRotating | Refreshed::Failed(_)) | Err(_) => {
                        (retry_or_give_up(), record("failed"))
                    }
                }
            }
            SlackFailure::Retryable => (retry_or_give_up(), record("failed")),
            SlackFailure::TokenRevoked | SlackFailure::InvalidRefreshToken => {
                self.side_effect_revoked(head, &label).await;
                (give_up(), record("failed"))
            }
            SlackFailure::Channel(problem) => {
                if let Some(state) = channel_state(problem) {
                    self.side_effect_channel(head, state).await;
                }
                (give_up(), record("failed"))
            }
            SlackFailure::InvalidCode | SlackFailure::MessageNotFound | SlackFailure::Rejected => {
                (give_up(), record("failed"))
            }
        }
    }

    async fn side_effect_revoked(&self, head: &Claimed, reason: &str) {
        if let Err(e) = self.store.mark_revoked(head.integration_id, reason).await {
            tracing::warn!(error = %e, "could not mark the integration revoked");
        }
    }

    async fn side_effect_channel(&self, head: &Claimed, state: ChannelState) {
        if let Err(e) = self
            .store
            .set_channel_state(head.integration_id, &head.channel_id, state)
            .await
        {
            tracing::warn!(error = %e, "could not record the channel state");
        }
    }
}
