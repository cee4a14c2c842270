-- The one notification channel of each integration, and the cached channel listing.

CREATE TABLE notification_channels (
    integration_id  uuid PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
    channel_id      text        NOT NULL,
    channel_name    text        NOT NULL,
    state           text        NOT NULL DEFAULT 'ready'
                                CHECK (state IN ('ready', 'archived', 'deleted', 'bot_removed')),
    set_time        timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now()
);
-- Slack's channel events name the workspace and channel, not the integration.
CREATE INDEX notification_channels_channel ON notification_channels (channel_id);

-- The full public-channel listing of a workspace as one integration sees it, shared by every
-- replica; refreshed after `fetch_time` + 5 minutes or on demand.
CREATE TABLE channel_listings (
    integration_id  uuid PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
    channels        jsonb       NOT NULL,
    fetch_time      timestamptz NOT NULL DEFAULT now()
);

-- Choosing and clearing the notification channel are changes worth keeping too.
ALTER TABLE integration_audit DROP CONSTRAINT integration_audit_action_check;
ALTER TABLE integration_audit ADD CONSTRAINT integration_audit_action_check CHECK (action IN (
    'created', 'reconnected', 'duplicate_attempt', 'enabled', 'disabled', 'renamed', 'deleted',
    'status_changed', 'channel_set', 'channel_cleared', 'channel_state_changed'));

-- What every read of an integration returns: the integration and its channel, if any.
CREATE VIEW integrations_with_channel AS
SELECT i.*,
       nc.channel_id   AS nc_channel_id,
       nc.channel_name AS nc_channel_name,
       nc.state        AS nc_state,
       nc.set_time     AS nc_set_time
FROM integrations i
LEFT JOIN notification_channels nc ON nc.integration_id = i.id;
