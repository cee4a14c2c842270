use chrono::{DateTime, Utc};
use tonic::{Request, Response, Status};

use super::{Violations, caller, convert::timestamp, optional, unparsed};
use crate::{
    core::{Core, CoreError, HealthReport},
    domain::{FieldViolation, IntegrationId, TeamId},
    proto::v1::{self, monitoring_service_server::MonitoringService},
};

pub struct MonitoringApi {
    core: Core,
}

impl MonitoringApi {
    pub fn new(core: Core) -> Self {
        Self { core }
    }
}

fn duration(d: std::time::Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos() as i32,
    }
}

fn millis(ms: f64) -> prost_types::Duration {
    duration(std::time::Duration::from_secs_f64(ms.max(0.0) / 1000.0))
}

fn health_to_proto(report: HealthReport) -> v1::IntegrationHealth {
    v1::IntegrationHealth {
        integration_id: report.integration_id.to_string(),
        team_id: report.team_id.to_string(),
        workspace_name: report.workspace_name,
        healthy: report.healthy,
        error: report.error.unwrap_or_default(),
        check_time: Some(timestamp(report.check_time)),
        latency: Some(duration(report.latency)),
    }
}

fn time_field(
    field: &str,
    value: Option<prost_types::Timestamp>,
) -> Result<DateTime<Utc>, FieldViolation> {
    let value = value.ok_or_else(|| FieldViolation::new(field, "is required"))?;
    let nanos = u32::try_from(value.nanos)
        .ok()
        .filter(|n| *n < 1_000_000_000);
    nanos
        .filter(|_| TIMESTAMP_SECONDS.contains(&value.seconds))
        .and_then(|nanos| DateTime::from_timestamp(value.seconds, nanos))
        .ok_or_else(|| {
            FieldViolation::new(field, "must be a valid Timestamp between years 1 and 9999")
        })
}

/// google.protobuf.Timestamp's range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
const TIMESTAMP_SECONDS: std::ops::RangeInclusive<i64> = -62_135_596_800..=253_402_300_799;

fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[tonic::async_trait]
impl MonitoringService for MonitoringApi {
    async fn check_integration_health(
        &self,
        request: Request<v1::CheckIntegrationHealthRequest>,
    ) -> Result<Response<v1::IntegrationHealth>, Status> {
        let caller = caller(&request)?;
        let v1::CheckIntegrationHealthRequest { integration_id } = request.into_inner();
        let id =
            IntegrationId::parse("integration_id", &integration_id).map_err(CoreError::invalid)?;
        let report = self.core.check_integration_health(&caller, id).await?;
        Ok(Response::new(health_to_proto(report)))
    }

    async fn check_all_integrations(
        &self,
        request: Request<v1::CheckAllIntegrationsRequest>,
    ) -> Result<Response<v1::CheckAllIntegrationsResponse>, Status> {
        let caller = caller(&request)?;
        let v1::CheckAllIntegrationsRequest { team_id } = request.into_inner();
        let team = optional("team_id", &team_id, TeamId::parse).map_err(CoreError::invalid)?;
        let reports = self.core.check_all_integrations(&caller, team).await?;
        let healthy = reports.iter().filter(|r| r.healthy).count();
        Ok(Response::new(v1::CheckAllIntegrationsResponse {
            total: count(reports.len() as i64),
            healthy: count(healthy as i64),
            unhealthy: count((reports.len() - healthy) as i64),
            details: reports.into_iter().map(health_to_proto).collect(),
        }))
    }

    async fn get_messaging_stats(
        &self,
        request: Request<v1::GetMessagingStatsRequest>,
    ) -> Result<Response<v1::GetMessagingStatsResponse>, Status> {
        let caller = caller(&request)?;
        let v1::GetMessagingStatsRequest {
            start_time,
            end_time,
            team_id,
            integration_id,
        } = request.into_inner();
        let mut violations = Violations::default();
        let start = violations.check(time_field("start_time", start_time));
        let end = violations.check(time_field("end_time", end_time));
        let team = violations.check(optional("team_id", &team_id, TeamId::parse));
        let integration = violations.check(optional(
            "integration_id",
            &integration_id,
            IntegrationId::parse,
        ));
        violations.into_result()?;
        let (Some(start), Some(end), Some(team), Some(integration)) =
            (start, end, team, integration)
        else {
            return Err(unparsed());
        };
        let stats = self
            .core
            .messaging_stats(&caller, (start, end), team, integration)
            .await?;
        Ok(Response::new(v1::GetMessagingStatsResponse {
            total_attempts: stats.total_attempts,
            successful: stats.successful,
            failed: stats.failed,
            retried_deliveries: stats.retried_deliveries,
            retry_rate: if stats.deliveries_attempted == 0 {
                0.0
            } else {
                stats.retried_deliveries as f64 / stats.deliveries_attempted as f64
            },
            common_errors: stats
                .common_errors
                .into_iter()
                .map(|(error, count)| v1::ErrorCount { error, count })
                .collect(),
            p50_latency: Some(millis(stats.p50_latency_ms)),
            p95_latency: Some(millis(stats.p95_latency_ms)),
        }))
    }

    async fn get_dashboard_stats(
        &self,
        request: Request<v1::GetDashboardStatsRequest>,
    ) -> Result<Response<v1::GetDashboardStatsResponse>, Status> {
        let caller = caller(&request)?;
        let v1::GetDashboardStatsRequest { team_id } = request.into_inner();
        let team = optional("team_id", &team_id, TeamId::parse).map_err(CoreError::invalid)?;
        let stats = self.core.dashboard_stats(&caller, team).await?;
        Ok(Response::new(v1::GetDashboardStatsResponse {
            total_integrations: count(stats.total_integrations),
            active_integrations: count(stats.active_integrations),
            configured_channels: count(stats.configured_channels),
            healthy_integrations: count(stats.healthy_integrations),
            messages_last_24h: stats.messages_last_24h,
            replies_last_24h: stats.replies_last_24h,
            threads_last_24h: stats.threads_last_24h,
            duplicate_connection_attempts_last_24h: stats.duplicate_connection_attempts_last_24h,
            queued_deliveries: stats.queued_deliveries,
        }))
    }

    async fn get_message_type_breakdown(
        &self,
        request: Request<v1::GetMessageTypeBreakdownRequest>,
    ) -> Result<Response<v1::GetMessageTypeBreakdownResponse>, Status> {
        let caller = caller(&request)?;
        let v1::GetMessageTypeBreakdownRequest {
            start_time,
            end_time,
            team_id,
        } = request.into_inner();
        let mut violations = Violations::default();
        let start = violations.check(time_field("start_time", start_time));
        let end = violations.check(time_field("end_time", end_time));
        let team = violations.check(optional("team_id", &team_id, TeamId::parse));
        violations.into_result()?;
        let (Some(start), Some(end), Some(team)) = (start, end, team) else {
            return Err(unparsed());
        };
        let entries = self
            .core
            .message_type_breakdown(&caller, (start, end), team)
            .await?;
        Ok(Response::new(v1::GetMessageTypeBreakdownResponse {
            entries: entries
                .into_iter()
                .map(|(message_type, count)| v1::MessageTypeCount {
                    message_type,
                    count,
                })
                .collect(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64, nanos: i32) -> Option<prost_types::Timestamp> {
        Some(prost_types::Timestamp { seconds, nanos })
    }

    #[test]
    fn timestamps_outside_protobufs_range_are_refused() {
        assert!(time_field("t", at(-62_135_596_800, 0)).is_ok());
        assert!(time_field("t", at(253_402_300_799, 999_999_999)).is_ok());
        for (seconds, nanos) in [
            (-62_135_596_801, 0),
            (253_402_300_800, 0),
            (i64::MAX, 0),
            (i64::MIN, 0),
            (0, -1),
            (0, 1_000_000_000),
        ] {
            assert_eq!(
                time_field("start_time", at(seconds, nanos))
                    .unwrap_err()
                    .field,
                "start_time"
            );
        }
    }
}
