-- The durable outbox: every message to Slack is a delivery row first.

CREATE TABLE deliveries (
    id                          uuid PRIMARY KEY,
    -- Order of acceptance: per channel, deliveries go out in this order.
    seq                         bigserial   NOT NULL UNIQUE,
    integration_id              uuid        NOT NULL,
    team_id                     text        NOT NULL,
    workspace_id                text        NOT NULL,
    channel_id                  text        NOT NULL,
    kind                        text        NOT NULL CHECK (kind IN ('post', 'reply')),
    internal_message_id         text        NOT NULL,
    parent_internal_message_id  text,
    message_type                text,
    -- What is sent: text, blocks, unfurl flags, reply_broadcast (rendered, validated).
    payload                     jsonb       NOT NULL,
    payload_hash                bytea       NOT NULL,
    state                       text        NOT NULL DEFAULT 'queued'
                                CHECK (state IN ('queued', 'retrying', 'sent', 'failed', 'cancelled')),
    slack_ts                    text,
    thread_ts                   text,
    -- Attempts that count towards the retry budget (a 429 does not).
    attempts                    integer     NOT NULL DEFAULT 0,
    last_error                  text,
    create_time                 timestamptz NOT NULL DEFAULT now(),
    next_attempt_time           timestamptz NOT NULL DEFAULT now(),
    sent_time                   timestamptz,
    -- Set when a post may have reached Slack without us knowing (a timeout, a dropped
    -- connection, a crash mid-call): the channel history is checked before any re-post.
    attempt_start_time          timestamptz,
    CONSTRAINT deliveries_idempotency UNIQUE (integration_id, internal_message_id)
);
-- The head of each channel's queue.
CREATE INDEX deliveries_active_by_lane ON deliveries (workspace_id, channel_id, seq)
    WHERE state IN ('queued', 'retrying');
CREATE INDEX deliveries_by_integration ON deliveries (integration_id, create_time, id);

-- One lane per Slack channel, shared by every replica: who works it (lease), when its head
-- is due, and its pace (GCRA theoretical arrival time).
CREATE TABLE channel_lanes (
    workspace_id        text        NOT NULL,
    channel_id          text        NOT NULL,
    -- When the head delivery is due; NULL when the lane is empty.
    next_due            timestamptz,
    tat                 timestamptz NOT NULL DEFAULT now(),
    lease_owner         uuid,
    lease_expire_time   timestamptz,
    PRIMARY KEY (workspace_id, channel_id)
);
CREATE INDEX channel_lanes_due ON channel_lanes (next_due) WHERE next_due IS NOT NULL;

-- Per workspace: a 429 pauses every channel of it; an optional cap paces them together.
CREATE TABLE workspace_limits (
    workspace_id    text PRIMARY KEY,
    paused_until    timestamptz NOT NULL DEFAULT now(),
    tat             timestamptz NOT NULL DEFAULT now()
);

-- Every call made to Slack for a delivery, for statistics.
CREATE TABLE delivery_attempts (
    id              bigserial PRIMARY KEY,
    delivery_id     uuid        NOT NULL,
    integration_id  uuid        NOT NULL,
    team_id         text        NOT NULL,
    attempt_time    timestamptz NOT NULL DEFAULT now(),
    latency_ms      integer     NOT NULL,
    outcome         text        NOT NULL CHECK (outcome IN ('sent', 'failed', 'rate_limited', 'unknown')),
    slack_error     text
);
CREATE INDEX delivery_attempts_time ON delivery_attempts (attempt_time);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id);
