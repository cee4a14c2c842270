//! Filling the channel directory (`store::channel_directory`) from Slack. A listing pages
//! `conversations.list` (the largest page Slack allows) into the directory under the
//! workspace's listing lock, saving the cursor with each page, so a 429 is waited out and
//! resumed from the cursor, and a listing cut short (a restart, a long 429, an outage) is
//! resumed from the stored cursor by whichever replica lists the workspace next.
//!
//! The background refresher lists every workspace with an ACTIVE integration again every
//! `SWITCHBOARD_CHANNEL_DIRECTORY_REFRESH_SECS`. ListChannels lists only when the
//! workspace has no complete listing yet or the caller asks for `refresh`; otherwise it
//! answers from the directory and never waits for Slack.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use secrecy::SecretString;
use tokio::sync::watch;

use super::{Core, CoreError, Dependency};
use crate::{
    domain::{Integration, SlackChannel},
    slack::{Conversation, ConversationText, SlackError, SlackFailure},
    store::DirectoryLease,
};

/// Longest Retry-After a call waits out in the middle of a listing (Tier 2 allows 20
/// calls a minute, so short waits are normal); a longer one answers UNAVAILABLE.
const MAX_CALL_WAIT: Duration = Duration::from_secs(10);
/// Longest Retry-After the refresher waits out holding the lock; after a longer one it
/// lets go and comes back when Slack said.
const MAX_BACKGROUND_WAIT: Duration = Duration::from_secs(120);
/// How long a call without a deadline waits for another replica's listing.
const MAX_LOCK_WAIT: Duration = Duration::from_secs(30);
/// What a call hears while another replica's first listing of the workspace runs on.
const LISTING_UNDERWAY_RETRY: Duration = Duration::from_secs(1);
/// A listing stopped by a failure is tried again this soon (or at the next refresh).
const RETRY_FAILED: Duration = Duration::from_secs(60);
/// How often the refresher looks for new workspaces, and its longest sleep (or the refresh
/// interval, if shorter); and its shortest, between rounds.
const POLL: Duration = Duration::from_secs(10);
const MIN_PAUSE: Duration = Duration::from_secs(1);
/// How long a listing underway keeps its workspace from looking due to the refresher
/// (each save of a page holds it off again): a replica that died mid-listing leaves the
/// workspace due again after this.
const LISTING_HOLD: Duration = Duration::from_secs(300);
/// Workspaces one replica lists at once (Slack's limit is per workspace), and how many
/// due ones it takes per round.
const CONCURRENT_LISTINGS: usize = 4;
const DUE_PER_ROUND: i64 = 16;

/// How long a listing waits out a 429 before it gives up.
#[derive(Clone, Copy)]
enum Patience {
    /// ListChannels: short waits, within the call's deadline.
    Call,
    /// The refresher: what Slack asks, within reason.
    Background,
}

impl Patience {
    fn waits_out(self, retry_after: Duration) -> bool {
        match self {
            Self::Call => retry_after <= MAX_CALL_WAIT && crate::deadline::allows(retry_after),
            Self::Background => retry_after <= MAX_BACKGROUND_WAIT,
        }
    }
}

/// The channel as the directory keeps it: public and unarchived ones only (as asked of
/// Slack, and checked again). Postgres text cannot hold NUL, which no channel name has.
fn listed(c: Conversation) -> Option<SlackChannel> {
    if c.is_archived || c.is_private {
        return None;
    }
    let text =
        |t: Option<ConversationText>| t.map(|t| t.value.replace('\0', "")).unwrap_or_default();
    Some(SlackChannel {
        id: c.id,
        name: c.name.replace('\0', ""),
        purpose: text(c.purpose),
        topic: text(c.topic),
        member_count: c.num_members,
        is_member: c.is_member,
    })
}

impl Core {
    /// Lists the workspace into its directory, from where its listing stands: the stored
    /// cursor, or the first page. On a failure the progress stays stored and the next try
    /// is scheduled.
    async fn list_into_directory(
        &self,
        lease: &mut DirectoryLease,
        token: &SecretString,
        patience: Patience,
    ) -> Result<(), CoreError> {
        let (mut generation, mut cursor) = lease.begin_listing(LISTING_HOLD, false).await?;
        let mut restarted = false;
        loop {
            let page = self
                .slack
                .conversations_list_page(token, cursor.as_deref())
                .await;
            match page {
                Ok((page, next)) => {
                    let channels: Vec<SlackChannel> = page.into_iter().filter_map(listed).collect();
                    lease
                        .save_page(
                            generation,
                            &channels,
                            next.as_deref(),
                            self.directory_refresh,
                        )
                        .await?;
                    match next {
                        Some(next) => cursor = Some(next),
                        None => return Ok(()),
                    }
                }
                Err(SlackError::RateLimited { retry_after }) if patience.waits_out(retry_after) => {
                    tokio::time::sleep(retry_after).await;
                }
                // A stored cursor Slack refuses (say, one kept across a long outage): list
                // again from the first page, once.
                Err(err)
                    if cursor.is_some()
                        && !restarted
                        && err.failure() == SlackFailure::Rejected =>
                {
                    tracing::warn!(workspace_id = lease.workspace_id(), error = %err,
                        "channel listing restarts: the stored cursor was refused");
                    restarted = true;
                    (generation, cursor) = lease.begin_listing(LISTING_HOLD, true).await?;
                }
                Err(err) => {
                    let retry = match &err {
                        SlackError::RateLimited { retry_after } => *retry_after,
                        _ => RETRY_FAILED,
                    };
                    lease
                        .postpone(&err.label(), retry.min(self.directory_refresh))
                        .await?;
                    return Err(CoreError::from_slack(err));
                }
            }
        }
    }

    /// Makes sure the workspace's directory holds a complete listing, one completed after
    /// `fresh_since` when given: lists Slack with the integration's token unless another
    /// replica's listing, waited for, did it meanwhile.
    pub(super) async fn complete_directory(
        &self,
        integration: &Integration,
        fresh_since: Option<DateTime<Utc>>,
    ) -> Result<(), CoreError> {
        let workspace_id = integration.workspace_id.as_str();
        let wait = crate::deadline::remaining().unwrap_or(MAX_LOCK_WAIT);
        let Some(mut lease) = self
            .store
            .lock_channel_directory(workspace_id, Some(wait))
            .await?
        else {
            return Err(CoreError::Unavailable {
                dependency: Dependency::Slack,
                retry_after: LISTING_UNDERWAY_RETRY,
            });
        };
        let listed = async {
            let state = lease.state().await?;
            let complete = state
                .complete_time
                .is_some_and(|at| fresh_since.is_none_or(|since| at >= since));
            if complete {
                return Ok(());
            }
            let token = self.access_token(integration).await?;
            self.list_into_directory(&mut lease, &token, Patience::Call)
                .await
        }
        .await;
        lease.release().await;
        listed
    }

    /// One background refresh of the workspace, if no other replica is listing it and it
    /// is still due once locked (another replica may have listed it meanwhile).
    async fn refresh_directory(&self, workspace_id: &str) -> Result<(), CoreError> {
        let Some(mut lease) = self
            .store
            .lock_channel_directory(workspace_id, None)
            .await?
        else {
            return Ok(());
        };
        let refreshed = async {
            if lease.state().await?.next_refresh_time > Utc::now() {
                return Ok(());
            }
            let integration = match self.store.directory_integration(workspace_id).await? {
                Some(id) => self.store.get_integration(id).await?,
                None => None,
            };
            let Some(integration) = integration else {
                // Nothing may list it now; a re-enabled or reconnected integration will.
                lease
                    .postpone("no_active_integration", self.directory_refresh)
                    .await?;
                return Ok(());
            };
            let token = self.access_token(&integration).await?;
            self.list_into_directory(&mut lease, &token, Patience::Background)
                .await
        }
        .await;
        lease.release().await;
        refreshed
    }

    /// Lists the workspaces whose refresh is due, a few at a time.
    async fn refresh_due_directories(&self) {
        let due = match self.store.due_channel_directories(DUE_PER_ROUND).await {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(error = %err, "channel directory refresh skipped");
                return;
            }
        };
        futures_util::stream::iter(due)
            .for_each_concurrent(CONCURRENT_LISTINGS, |workspace_id| async move {
                match self.refresh_directory(&workspace_id).await {
                    Ok(()) => {}
                    Err(err) => tracing::warn!(%workspace_id, error = %err,
                        "channel directory listing stopped short; it resumes later"),
                }
            })
            .await;
    }
}

/// Keeps every workspace's channel directory listed, each one again `every` after its
/// last complete listing, until `stop`: wakes when the next refresh is due (or every
/// `POLL`, to enroll new workspaces), lists what is due.
pub async fn run_channel_directory(core: Core, every: Duration, mut stop: watch::Receiver<bool>) {
    let poll = POLL.min(every);
    let mut enrolled: Option<Instant> = None;
    loop {
        if enrolled.is_none_or(|at| at.elapsed() >= poll) {
            match core.store.enroll_channel_directories().await {
                Ok(()) => enrolled = Some(Instant::now()),
                Err(err) => tracing::warn!(error = %err, "channel directory enrollment failed"),
            }
        }
        core.refresh_due_directories().await;
        let next = match core.store.next_channel_directory_refresh().await {
            Ok(next) => next.unwrap_or(poll),
            Err(_) => poll,
        };
        tokio::select! {
            _ = tokio::time::sleep(next.clamp(MIN_PAUSE, poll)) => {}
            changed = stop.changed() => if changed.is_err() || *stop.borrow() { return },
        }
    }
}
