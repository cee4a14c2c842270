//! Why a delivery's last attempt did not post: the one vocabulary of `deliveries.last_error`
//! (and `Delivery.last_error` in the API), each reason spelled once, here.

use std::{convert::Infallible, fmt, str::FromStr};

use super::ChannelState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryFailure {
    /// `lease_expiring`: stopped before calling Slack, the lease would run out first.
    LeaseExpiring,
    /// `integration_deleted`: the integration is gone (the delivery was cancelled).
    IntegrationDeleted,
    /// `integration_disabled`
    IntegrationDisabled,
    /// `integration_revoked`: the integration needs a reconnect.
    IntegrationRevoked,
    /// `channel_<state>` (`channel_archived`, `channel_deleted`, `channel_bot_removed`):
    /// the notification channel is not READY.
    Channel(ChannelState),
    /// `TARGET_NOT_DELIVERED`: the message to update or delete never reached Slack.
    TargetNotDelivered,
    /// `PARENT_NOT_DELIVERED`: the parent of a reply never reached Slack.
    ParentNotDelivered,
    /// `token_undecryptable`: the stored token does not open with any configured key.
    TokenUndecryptable,
    /// `attempts_exhausted`: the retry budget is spent.
    AttemptsExhausted,
    /// `invalid_refresh_token`: the expired token could not be refreshed, Slack refused the
    /// refresh token (spelled as Slack's code, which it is).
    RefreshTokenRefused,
    /// A failed call to Slack, by its label: Slack's own error code (`is_archived`,
    /// `token_revoked`, ...), or `ratelimited`, `http_5xx`, `http_<status>`, `timeout`,
    /// `connection`. The same label the attempt log and `common_errors` group by.
    Slack(String),
}

const CHANNEL_PREFIX: &str = "channel_";

/// The spelling of every reason that is not a Slack label or a channel state.
const SPELLINGS: &[(DeliveryFailure, &str)] = &[
    (DeliveryFailure::LeaseExpiring, "lease_expiring"),
    (DeliveryFailure::IntegrationDeleted, "integration_deleted"),
    (DeliveryFailure::IntegrationDisabled, "integration_disabled"),
    (DeliveryFailure::IntegrationRevoked, "integration_revoked"),
    (DeliveryFailure::TargetNotDelivered, "TARGET_NOT_DELIVERED"),
    (DeliveryFailure::ParentNotDelivered, "PARENT_NOT_DELIVERED"),
    (DeliveryFailure::TokenUndecryptable, "token_undecryptable"),
    (DeliveryFailure::AttemptsExhausted, "attempts_exhausted"),
    (
        DeliveryFailure::RefreshTokenRefused,
        "invalid_refresh_token",
    ),
];

impl fmt::Display for DeliveryFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Slack(label) => f.write_str(label),
            Self::Channel(state) => write!(f, "{CHANNEL_PREFIX}{}", state.as_str()),
            named => {
                let spelling = SPELLINGS
                    .iter()
                    .find(|(failure, _)| failure == named)
                    .map_or("unknown", |(_, spelling)| spelling);
                f.write_str(spelling)
            }
        }
    }
}

/// Any stored text reads back: what is not one of switchboard's own reasons is a Slack label.
impl FromStr for DeliveryFailure {
    type Err = Infallible;

    fn from_str(raw: &str) -> Result<Self, Infallible> {
        if let Some((failure, _)) = SPELLINGS.iter().find(|(_, spelling)| *spelling == raw) {
            return Ok(failure.clone());
        }
        let state = raw
            .strip_prefix(CHANNEL_PREFIX)
            .and_then(ChannelState::parse);
        Ok(state.map_or_else(|| Self::Slack(raw.to_owned()), Self::Channel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(raw: &str) -> DeliveryFailure {
        let Ok(failure) = raw.parse();
        failure
    }

    #[test]
    fn every_reason_reads_back_as_written() {
        let mut all: Vec<DeliveryFailure> = SPELLINGS.iter().map(|(f, _)| f.clone()).collect();
        all.extend(
            [
                ChannelState::Archived,
                ChannelState::Deleted,
                ChannelState::BotRemoved,
            ]
            .map(DeliveryFailure::Channel),
        );
        all.extend(
            ["is_archived", "token_revoked", "http_5xx", "timeout"]
                .map(|l| DeliveryFailure::Slack(l.into())),
        );
        for failure in all {
            assert_eq!(read(&failure.to_string()), failure);
        }
    }

    #[test]
    fn the_stored_spellings_do_not_change() {
        assert_eq!(DeliveryFailure::LeaseExpiring.to_string(), "lease_expiring");
        assert_eq!(
            DeliveryFailure::Channel(ChannelState::BotRemoved).to_string(),
            "channel_bot_removed"
        );
        assert_eq!(
            DeliveryFailure::ParentNotDelivered.to_string(),
            "PARENT_NOT_DELIVERED"
        );
        // A Slack code that merely starts like a channel state stays Slack's.
        assert_eq!(
            read("channel_not_found"),
            DeliveryFailure::Slack("channel_not_found".into())
        );
    }
}
