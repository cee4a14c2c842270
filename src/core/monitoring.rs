//! Health checks (auth.test) and the figures of MonitoringService.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, stream};

use super::{Core, CoreError};
use crate::{
    domain::{Caller, Condition, FieldViolation, Integration, IntegrationId, TeamId},
    slack::{SlackError, SlackFailure},
    store::{DashboardStats, IntegrationFilter, MessagingStats, StatsScope},
};

/// Health checks run this many at a time.
const CHECK_CONCURRENCY: usize = 8;
/// `auth.test` is Tier 4 (100+ a minute per workspace): stay at 100 a minute after a
/// burst of 20.
const AUTH_TEST_INTERVAL: Duration = Duration::from_millis(600);
const AUTH_TEST_BURST: u32 = 20;

#[derive(Debug, Clone)]
pub struct HealthReport {
    pub integration_id: IntegrationId,
    pub team_id: TeamId,
    pub workspace_name: String,
    pub healthy: bool,
    pub error: Option<String>,
    pub check_time: DateTime<Utc>,
    pub latency: Duration,
}

/// Paces calls per workspace within this process (GCRA).
#[derive(Default, Clone)]
struct WorkspacePacer {
    next: Arc<Mutex<HashMap<String, Instant>>>,
}

impl WorkspacePacer {
    /// How long to wait before the next call for `workspace`, reserving its slot.
    fn reserve(&self, workspace: &str) -> Duration {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let window = AUTH_TEST_INTERVAL * (AUTH_TEST_BURST - 1);
        let tat = next.get(workspace).copied().unwrap_or(now).max(now);
        let wait = tat.saturating_duration_since(now + window);
        next.insert(workspace.to_owned(), tat + AUTH_TEST_INTERVAL);
        wait
    }
}

impl Core {
    /// `auth.test` with the integration's token; the verdict updates its status (a dead
    /// token makes it REVOKED), whoever asked.
    pub(super) async fn test_token(&self, integration: &Integration) -> Result<(), SlackError> {
        let outcome = match self.access_token(integration).await {
            Ok(token) => self.slack.auth_test(&token).await.map(|_| ()),
            Err(_) => Err(SlackError::api("token_unavailable")),
        };
        let verdict = match &outcome {
            Ok(()) => Some((Condition::Healthy, None)),
            // Being told to slow down says nothing about the token.
            Err(err) => match err.failure() {
                SlackFailure::RateLimited { .. } => None,
                SlackFailure::TokenRevoked | SlackFailure::InvalidRefreshToken => {
                    Some((Condition::Revoked, Some(err.label())))
                }
                _ => Some((Condition::Error, Some(err.label()))),
            },
        };
        if let Some((condition, reason)) = verdict
            && let Err(err) = self
                .store
                .record_health(integration.id, condition, reason.as_deref())
                .await
        {
            tracing::warn!(integration_id = %integration.id, error = %err, "could not record a health check");
        }
        outcome
    }

    async fn check(&self, integration: &Integration) -> HealthReport {
        let started = Instant::now();
        let outcome = self.test_token(integration).await;
        HealthReport {
            integration_id: integration.id,
            team_id: integration.team_id.clone(),
            workspace_name: integration.installation.workspace_name.clone(),
            healthy: outcome.is_ok(),
            error: outcome.err().map(|e| e.label()),
            check_time: Utc::now(),
            latency: started.elapsed(),
        }
    }

    #[tracing::instrument(name = "core.check_integration_health", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
        integration_id = %id,
    ))]
    pub async fn check_integration_health(
        &self,
        caller: &Caller,
        id: IntegrationId,
    ) -> Result<HealthReport, CoreError> {
        let integration = self.get_integration(caller, id).await?;
        Ok(self.check(&integration).await)
    }

    /// Checks every integration of `team` (every team's when `None`), a few at a time,
    /// each workspace paced within Slack's limit for `auth.test`.
    #[tracing::instrument(name = "core.check_all_integrations", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
    ))]
    pub async fn check_all_integrations(
        &self,
        caller: &Caller,
        team: Option<TeamId>,
    ) -> Result<Vec<HealthReport>, CoreError> {
        let filter = IntegrationFilter {
            team_id: self.team_scope(caller, team)?,
            ..Default::default()
        };
        let mut integrations = Vec::new();
        let mut after = None;
        loop {
            let (page, _) = self.store.list_integrations(&filter, after, 500).await?;
            let done = page.len() < 500;
            after = page.last().map(|i| (i.create_time, i.id));
            integrations.extend(page);
            if done {
                break;
            }
        }
        let pacer = WorkspacePacer::default();
        Ok(stream::iter(integrations)
            .map(|integration| {
                let pacer = pacer.clone();
                async move {
                    let wait = pacer.reserve(integration.workspace_id.as_str());
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    self.check(&integration).await
                }
            })
            .buffered(CHECK_CONCURRENCY)
            .collect()
            .await)
    }

    /// The team a figure or a sweep covers: the caller's own, or any for a service key.
    fn team_scope(
        &self,
        caller: &Caller,
        team: Option<TeamId>,
    ) -> Result<Option<TeamId>, CoreError> {
        caller.scope(team).map_err(|_| CoreError::PermissionDenied)
    }

    #[tracing::instrument(name = "core.messaging_stats", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
    ))]
    pub async fn messaging_stats(
        &self,
        caller: &Caller,
        window: (DateTime<Utc>, DateTime<Utc>),
        team: Option<TeamId>,
        integration: Option<IntegrationId>,
    ) -> Result<MessagingStats, CoreError> {
        check_window(window)?;
        let team_id = self.team_scope(caller, team)?;
        if let Some(id) = integration {
            self.get_integration(caller, id).await?;
        }
        Ok(self
            .store
            .messaging_stats(
                &StatsScope {
                    team_id,
                    integration_id: integration,
                },
                window.0,
                window.1,
            )
            .await?)
    }

    #[tracing::instrument(name = "core.dashboard_stats", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
    ))]
    pub async fn dashboard_stats(
        &self,
        caller: &Caller,
        team: Option<TeamId>,
    ) -> Result<DashboardStats, CoreError> {
        let team_id = self.team_scope(caller, team)?;
        Ok(self.store.dashboard_stats(team_id.as_ref()).await?)
    }

    #[tracing::instrument(name = "core.message_type_breakdown", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
    ))]
    pub async fn message_type_breakdown(
        &self,
        caller: &Caller,
        window: (DateTime<Utc>, DateTime<Utc>),
        team: Option<TeamId>,
    ) -> Result<Vec<(String, i64)>, CoreError> {
        check_window(window)?;
        let team_id = self.team_scope(caller, team)?;
        Ok(self
            .store
            .message_type_breakdown(team_id.as_ref(), window.0, window.1)
            .await?)
    }
}

/// Advisory-lock key of the periodic health sweep ("swbdhlth").
const HEALTH_SWEEP_LOCK: i64 = 0x7377_6264_686c_7468;

/// Every `every`, one replica checks every integration and moves it between ACTIVE,
/// ERROR and REVOKED as `auth.test` answers.
pub async fn run_health_checks(
    core: Core,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            changed = stop.changed() => if changed.is_err() || *stop.borrow() { return },
        }
        let lock = match core.store.try_sweep_lock(HEALTH_SWEEP_LOCK).await {
            Ok(Some(lock)) => lock,
            Ok(None) => continue,
            Err(err) => {
                tracing::warn!(error = %err, "health sweep skipped");
                continue;
            }
        };
        match core.check_all_integrations(&Caller::Service, None).await {
            Ok(reports) => {
                let unhealthy = reports.iter().filter(|r| !r.healthy).count();
                tracing::info!(checked = reports.len(), unhealthy, "health sweep done");
            }
            Err(err) => tracing::warn!(error = %err, "health sweep failed"),
        }
        lock.release().await;
    }
}

fn check_window((start, end): (DateTime<Utc>, DateTime<Utc>)) -> Result<(), CoreError> {
    if end <= start {
        return Err(CoreError::invalid(FieldViolation::new(
            "end_time",
            "must be after start_time",
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pacer_allows_a_burst_then_one_per_interval() {
        let pacer = WorkspacePacer::default();
        for _ in 0..AUTH_TEST_BURST {
            assert_eq!(pacer.reserve("T1"), Duration::ZERO);
        }
        let wait = pacer.reserve("T1");
        assert!(
            wait > Duration::ZERO && wait <= AUTH_TEST_INTERVAL,
            "{wait:?}"
        );
        assert_eq!(
            pacer.reserve("T2"),
            Duration::ZERO,
            "workspaces are paced apart"
        );
    }
}
