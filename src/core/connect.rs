//! Connecting a team to a workspace: OAuth start and completion, and reconnects.

use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::{
    Core, CoreError, DuplicateInstall, OAUTH_STATE_TTL, RECONNECT_TOKEN_TTL, Resource,
    requests::{request_key, settled},
};
use crate::{
    crypto::{TokenCipher, random_secret, secret_hash, token_binding},
    domain::{
        Caller, FieldViolation, Installation, Integration, IntegrationId, IntegrationName,
        RequestId, TeamId,
    },
    slack::{AuthTest, OAuthGrant, SlackFailure},
    store::{ClaimedState, InstallOutcome, NewIntegration, NewOAuthState, NewReconnect, TokenSet},
};

/// Longest code or state we accept; Slack's are far shorter.
const MAX_OAUTH_PARAM_LEN: usize = 512;

pub struct StartedOAuth {
    pub authorize_url: String,
    pub state: SecretString,
    pub expire_time: DateTime<Utc>,
}

/// A grant's tokens encrypted for the team's integration with the workspace.
fn seal(cipher: &TokenCipher, team_id: &str, workspace_id: &str, grant: &OAuthGrant) -> TokenSet {
    let binding = token_binding(team_id, workspace_id);
    TokenSet {
        access_token_enc: cipher.encrypt(&grant.access_token, &binding),
        refresh_token_enc: grant
            .refresh_token
            .as_ref()
            .map(|t| cipher.encrypt(t, &binding)),
        token_expire_time: grant
            .expires_in
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| Utc::now() + d),
    }
}

/// `ttl` from now. The TTLs are minutes-long constants, so the conversion cannot fail.
fn expiry(ttl: Duration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default()
}

fn oauth_param(field: &str, raw: &str) -> Result<(), FieldViolation> {
    if raw.is_empty() {
        Err(FieldViolation::new(field, "is required"))
    } else if raw.len() > MAX_OAUTH_PARAM_LEN || raw.chars().any(char::is_control) {
        Err(FieldViolation::new(field, "is not a value Slack issues"))
    } else {
        Ok(())
    }
}

impl Core {
    #[tracing::instrument(name = "core.start_slack_oauth", skip_all, fields(team_id = %team_id))]
    pub async fn start_slack_oauth(
        &self,
        caller: &Caller,
        team_id: TeamId,
        redirect_uri: Option<&str>,
        reconnect: Option<IntegrationId>,
    ) -> Result<StartedOAuth, CoreError> {
        if !caller.may_act_for(&team_id) {
            return Err(CoreError::PermissionDenied);
        }
        if let Some(uri) = redirect_uri
            && uri != self.redirect_uri
        {
            return Err(CoreError::invalid(FieldViolation::new(
                "redirect_uri",
                "must equal the configured SLACK_REDIRECT_URI",
            )));
        }
        if let Some(id) = reconnect {
            // Reconnecting only makes sense for one of this team's own integrations.
            let found = self.store.get_integration(id).await?;
            let integration = caller
                .visible(found)
                .map_err(|d| CoreError::denied(d, Resource::Integration, id))?;
            if integration.team_id != team_id {
                return Err(CoreError::PermissionDenied);
            }
        }
        let state = random_secret();
        let expire_time = expiry(OAUTH_STATE_TTL);
        self.store
            .insert_oauth_state(&NewOAuthState {
                state_hash: secret_hash(state.expose_secret()),
                team_id,
                reconnect_integration_id: reconnect,
                redirect_uri: self.redirect_uri.clone(),
                expire_time,
            })
            .await?;
        Ok(StartedOAuth {
            authorize_url: self.oauth.authorize_url(state.expose_secret()).to_string(),
            state,
            expire_time,
        })
    }

    /// Once the code goes to Slack, the exchange and what follows run to the end in a task
    /// of their own: a caller hanging up must not leave the state claimed, nor a token Slack
    /// issued neither kept nor revoked.
    #[tracing::instrument(name = "core.complete_slack_oauth", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
    ))]
    pub async fn complete_slack_oauth(
        &self,
        caller: &Caller,
        code: &str,
        state: &str,
    ) -> Result<Integration, CoreError> {
        let violations: Vec<_> = [oauth_param("code", code), oauth_param("state", state)]
            .into_iter()
            .filter_map(Result::err)
            .collect();
        if !violations.is_empty() {
            return Err(CoreError::InvalidArgument(violations));
        }
        let (core, caller) = (self.clone(), caller.clone());
        let (code, state) = (SecretString::from(code), SecretString::from(state));
        tokio::spawn(async move {
            core.finish_oauth(&caller, code.expose_secret(), state.expose_secret())
                .await
        })
        .await
        .map_err(|e| CoreError::Internal(Box::new(e)))?
    }

    async fn finish_oauth(
        &self,
        caller: &Caller,
        code: &str,
        state: &str,
    ) -> Result<Integration, CoreError> {
        let state_hash = secret_hash(state);
        let claimed = self
            .store
            .claim_oauth_state(&state_hash, caller.team())
            .await?
            .ok_or(CoreError::OAuthStateInvalid)?;

        let grant = match self.oauth.exchange_code(code).await {
            Ok(grant) => grant,
            Err(err) => {
                if err.failure().is_transient() {
                    // Slack may never have seen the code: let the user try again.
                    self.store.release_oauth_state(&state_hash).await?;
                } else {
                    self.store.delete_oauth_state(&state_hash).await?;
                }
                return Err(match err.failure() {
                    SlackFailure::InvalidCode => CoreError::SlackOAuthCodeInvalid,
                    _ => CoreError::from_slack(err),
                });
            }
        };
        // The code is spent at Slack now, so the state is too; failing to say so only
        // leaves it claimed until it expires, while the tokens still need a home.
        if let Err(err) = self.store.delete_oauth_state(&state_hash).await {
            tracing::warn!(error = %err, "could not delete a spent OAuth state");
        }
        let kept = self.keep_grant(claimed, &grant).await;
        match &kept {
            // Kept: as the integration's, or under a reconnect token; or already revoked.
            Ok(_)
            | Err(CoreError::IntegrationAlreadyExists(_) | CoreError::WorkspaceMismatch { .. }) => {
            }
            Err(err) => {
                tracing::warn!(error = %err, "a fresh install could not be kept; revoking its token");
                self.revoke_unkept(&grant.installation.workspace_id, &grant.access_token)
                    .await;
            }
        }
        kept
    }

    async fn keep_grant(
        &self,
        claimed: ClaimedState,
        grant: &OAuthGrant,
    ) -> Result<Integration, CoreError> {
        let mut installation = grant.installation.clone();
        installation.bot_id = self.auth_test_patiently(&grant.access_token).await?.bot_id;
        match claimed.reconnect_integration_id {
            Some(id) => {
                self.reconnect_in_place(id, &claimed.team_id, &installation, grant)
                    .await
            }
            None => self.install(claimed.team_id, installation, grant).await,
        }
    }

    /// Revokes (best effort) a token Slack issued that we are not keeping, unless an
    /// integration of the workspace holds the very same token: Slack may hand an
    /// installation's bot token out again.
    pub(super) async fn revoke_unkept(&self, workspace_id: &str, token: &SecretString) {
        let held = match self.store.workspace_tokens(workspace_id).await {
            Ok(held) => held,
            Err(err) => {
                tracing::warn!(error = %err, "cannot tell whether a token is in use; not revoking it");
                return;
            }
        };
        let in_use = held.iter().any(|(team, sealed)| {
            self.cipher
                .decrypt(sealed, &token_binding(team, workspace_id))
                .is_ok_and(|kept| kept.expose_secret() == token.expose_secret())
        });
        if in_use {
            return;
        }
        if let Err(err) = self.slack.auth_revoke(token).await {
            tracing::warn!(error = %err, "could not revoke a token we are not keeping");
        }
    }

    /// `auth.test` right after the exchange. The code is already spent, so a transient
    /// failure here would lose the install: try a few times before giving up.
    async fn auth_test_patiently(&self, token: &SecretString) -> Result<AuthTest, CoreError> {
        const PAUSES: [Duration; 2] = [Duration::from_millis(200), Duration::from_secs(1)];
        let mut pauses = PAUSES.iter();
        loop {
            match self.slack.auth_test(token).await {
                Ok(answer) => return Ok(answer),
                Err(err) => {
                    let pause = match err.failure() {
                        SlackFailure::RateLimited {
                            retry_after: Some(retry_after),
                        } if retry_after <= Duration::from_secs(2) => {
                            pauses.next().map(|_| retry_after)
                        }
                        SlackFailure::Retryable => pauses.next().copied(),
                        _ => None,
                    };
                    match pause {
                        Some(pause) => tokio::time::sleep(pause).await,
                        None => return Err(CoreError::from_slack(err)),
                    }
                }
            }
        }
    }

    async fn install(
        &self,
        team_id: TeamId,
        installation: Installation,
        grant: &OAuthGrant,
    ) -> Result<Integration, CoreError> {
        let tokens = seal(
            &self.cipher,
            team_id.as_str(),
            &installation.workspace_id,
            grant,
        );
        let reconnect_token = random_secret();
        let reconnect = NewReconnect {
            token_hash: secret_hash(reconnect_token.expose_secret()),
            expire_time: expiry(RECONNECT_TOKEN_TTL),
        };
        let new = NewIntegration {
            id: IntegrationId::new(),
            name: IntegrationName::from_workspace_name(&installation.workspace_name),
            team_id,
            installation,
            tokens,
        };
        match self.store.install(&new, &reconnect).await? {
            InstallOutcome::Created(integration) => {
                tracing::info!(integration_id = %integration.id, team_id = %integration.team_id,
                    workspace_id = %integration.workspace_id, "integration created");
                Ok(integration)
            }
            InstallOutcome::Duplicate(existing) => {
                crate::metrics::metrics()
                    .duplicate_connection_attempts
                    .inc();
                tracing::info!(integration_id = %existing.id, team_id = %existing.team_id,
                    workspace_id = %existing.workspace_id, "duplicate install; reconnect token issued");
                Err(CoreError::IntegrationAlreadyExists(Box::new(
                    DuplicateInstall {
                        existing,
                        reconnect_token,
                        reconnect_token_expire_time: reconnect.expire_time,
                    },
                )))
            }
        }
    }

    async fn reconnect_in_place(
        &self,
        id: IntegrationId,
        team_id: &TeamId,
        installation: &Installation,
        grant: &OAuthGrant,
    ) -> Result<Integration, CoreError> {
        let existing = self
            .store
            .get_integration(id)
            .await?
            .filter(|i| &i.team_id == team_id)
            .ok_or(CoreError::OAuthStateInvalid)?;
        if existing.workspace_id.as_str() != installation.workspace_id {
            // We will not keep a token for a workspace nobody asked to connect.
            self.revoke_unkept(&installation.workspace_id, &grant.access_token)
                .await;
            return Err(CoreError::WorkspaceMismatch {
                integration_id: id,
                expected: existing.workspace_id.to_string(),
                actual: installation.workspace_id.clone(),
            });
        }
        let tokens = seal(
            &self.cipher,
            team_id.as_str(),
            &installation.workspace_id,
            grant,
        );
        self.store
            .apply_tokens(id, installation, &tokens)
            .await?
            .ok_or(CoreError::OAuthStateInvalid)
    }

    #[tracing::instrument(name = "core.reconnect_integration", skip_all, fields(
        team_id = caller.team().map(|t| t.as_str()),
        integration_id = %id,
    ))]
    pub async fn reconnect_integration(
        &self,
        caller: &Caller,
        id: IntegrationId,
        reconnect_token: &str,
        request_id: Option<&RequestId>,
    ) -> Result<Integration, CoreError> {
        oauth_param("reconnect_token", reconnect_token).map_err(CoreError::invalid)?;
        let found = self.store.get_integration(id).await?;
        caller
            .visible(found)
            .map_err(|d| CoreError::denied(d, Resource::Integration, id))?;
        let token_hash = secret_hash(reconnect_token);
        let request = request_id.map(|request_id| {
            request_key(
                caller,
                "ReconnectIntegration",
                request_id,
                &[id.as_uuid().as_bytes(), &token_hash],
            )
        });
        let outcome = self
            .store
            .reconnect_with(id, &token_hash, request.as_ref())
            .await?;
        let integration = settled(outcome, request_id)?.ok_or(CoreError::ReconnectTokenInvalid)?;
        tracing::info!(integration_id = %id, "integration reconnected");
        Ok(integration)
    }
}
