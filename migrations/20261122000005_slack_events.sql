-- Slack Events API deliveries already handled, by event_id (Slack retries for minutes).
CREATE TABLE slack_events (
    event_id        text PRIMARY KEY,
    workspace_id    text        NOT NULL,
    event_type      text        NOT NULL,
    event_time      timestamptz NOT NULL,
    received_time   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX slack_events_received ON slack_events (received_time);
