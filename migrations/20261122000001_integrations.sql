-- Integrations: one per (team, platform, workspace), with tokens encrypted at rest.

CREATE TABLE integrations (
    id                      uuid PRIMARY KEY,
    team_id                 text        NOT NULL CHECK (length(team_id) BETWEEN 1 AND 128),
    platform_name           text        NOT NULL,
    workspace_id            text        NOT NULL,
    name                    text        NOT NULL,
    enabled                 boolean     NOT NULL DEFAULT true,
    -- What Slack last said of the token; status is derived from (enabled, condition).
    condition               text        NOT NULL DEFAULT 'healthy'
                                        CHECK (condition IN ('healthy', 'error', 'revoked')),
    status_reason           text,
    workspace_name          text        NOT NULL,
    enterprise_id           text,
    enterprise_name         text,
    is_enterprise_install   boolean     NOT NULL DEFAULT false,
    bot_user_id             text        NOT NULL,
    bot_id                  text        NOT NULL,
    app_id                  text        NOT NULL,
    scopes                  text[]      NOT NULL DEFAULT '{}',
    -- AES-256-GCM: version byte || nonce || ciphertext+tag, bound to (team, workspace).
    access_token_enc        bytea       NOT NULL,
    refresh_token_enc       bytea,
    token_expire_time       timestamptz,
    create_time             timestamptz NOT NULL DEFAULT now(),
    update_time             timestamptz NOT NULL DEFAULT now(),
    connect_time            timestamptz NOT NULL DEFAULT now(),
    reconnect_count         integer     NOT NULL DEFAULT 0,
    last_health_check_time  timestamptz,
    CONSTRAINT integrations_one_per_team_workspace UNIQUE (team_id, platform_name, workspace_id)
);

-- ListIntegrations pages in (create_time, id) order within a team.
CREATE INDEX integrations_team_order ON integrations (team_id, create_time, id);
CREATE INDEX integrations_workspace ON integrations (workspace_id);

-- OAuth states: only a hash is stored; single use, team-bound, short-lived.
CREATE TABLE oauth_states (
    state_hash                bytea PRIMARY KEY,
    team_id                   text        NOT NULL,
    reconnect_integration_id  uuid REFERENCES integrations (id) ON DELETE CASCADE,
    redirect_uri              text        NOT NULL,
    create_time               timestamptz NOT NULL DEFAULT now(),
    expire_time               timestamptz NOT NULL,
    -- Set while a CompleteSlackOAuth holds the state; cleared if Slack could not be reached.
    claim_time                timestamptz
);
CREATE INDEX oauth_states_expiry ON oauth_states (expire_time);

-- Fresh tokens from a duplicate install, held for ReconnectIntegration.
CREATE TABLE reconnect_tokens (
    token_hash          bytea PRIMARY KEY,
    integration_id      uuid        NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    installation        jsonb       NOT NULL,
    access_token_enc    bytea       NOT NULL,
    refresh_token_enc   bytea,
    token_expire_time   timestamptz,
    create_time         timestamptz NOT NULL DEFAULT now(),
    expire_time         timestamptz NOT NULL
);
CREATE INDEX reconnect_tokens_expiry ON reconnect_tokens (expire_time);

-- Every change to an integration, kept after the integration is deleted.
CREATE TABLE integration_audit (
    id              bigserial PRIMARY KEY,
    integration_id  uuid        NOT NULL,
    team_id         text        NOT NULL,
    workspace_id    text        NOT NULL,
    action          text        NOT NULL CHECK (action IN (
                        'created', 'reconnected', 'duplicate_attempt', 'enabled', 'disabled',
                        'renamed', 'deleted', 'status_changed')),
    detail          jsonb       NOT NULL DEFAULT '{}',
    create_time     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integration_audit_by_integration ON integration_audit (integration_id, create_time);
CREATE INDEX integration_audit_by_action ON integration_audit (action, create_time);
