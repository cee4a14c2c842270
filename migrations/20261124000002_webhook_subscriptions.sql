-- Webhook subscriptions: where events are POSTed, and how far each one has got. Each row
-- is its own outbox: a cursor into the event log, advanced after every 2xx, so events go
-- out in log order, one at a time, and a crash re-sends at most the one in flight.
CREATE TABLE webhook_subscriptions (
    id                  uuid        PRIMARY KEY,
    -- NULL: every team's events (service keys only).
    team_id             text,
    url                 text        NOT NULL,
    -- Empty: every type.
    event_types         text[]      NOT NULL DEFAULT '{}',
    state               text        NOT NULL DEFAULT 'active'
                                    CHECK (state IN ('active', 'disabled')),
    -- The `whsec_` signing secret, encrypted with the token cipher bound to the id.
    secret_ciphertext   bytea       NOT NULL,
    -- The last event delivered (a new subscription starts at the log's end).
    delivered_tx_id     xid8        NOT NULL,
    delivered_seq       bigint      NOT NULL,
    -- Failed tries of the event after the cursor.
    attempts            integer     NOT NULL DEFAULT 0,
    next_attempt_time   timestamptz NOT NULL DEFAULT now(),
    last_error          text,
    lease_owner         uuid,
    lease_until         timestamptz,
    lease_epoch         bigint      NOT NULL DEFAULT 0,
    create_time         timestamptz NOT NULL DEFAULT now(),
    update_time         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_due ON webhook_subscriptions (next_attempt_time)
    WHERE state = 'active';
CREATE INDEX webhook_subscriptions_by_team ON webhook_subscriptions (team_id, create_time, id);
