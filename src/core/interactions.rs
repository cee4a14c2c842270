//! What Slack's interactivity tells us: clicks on messages switchboard sent become
//! `slack.interaction` events of the team that sent them.

use super::{Core, CoreError};
use crate::{slack::Interaction, store::InteractionOutcome};

impl Core {
    /// Handles a verified interaction payload. `signature` stands for the request when the
    /// payload has no trigger to recognise a replay by.
    #[tracing::instrument(name = "core.handle_slack_interaction", skip_all)]
    pub async fn handle_slack_interaction(
        &self,
        interaction: Interaction,
        signature: &str,
    ) -> Result<(), CoreError> {
        let actions = match interaction {
            Interaction::BlockActions(actions) => actions,
            Interaction::Ignored { kind } => {
                tracing::debug!(%kind, "interaction type not handled");
                return Ok(());
            }
        };
        let key = actions
            .replay_key()
            .unwrap_or_else(|| format!("signature:{signature}"));
        let outcome = self.store.record_interaction(&key, &actions).await?;
        match outcome {
            InteractionOutcome::Recorded { events } => {
                tracing::info!(events, "slack interaction recorded");
            }
            InteractionOutcome::Replayed => tracing::debug!("slack interaction already handled"),
            InteractionOutcome::NotOurs => tracing::debug!(
                workspaces = ?actions.workspaces,
                "interaction on a message switchboard did not send; ignored"
            ),
        }
        Ok(())
    }
}
