-- The event log: what happened, written in the same transaction as the change it reports.
-- Log order is (tx_id, seq). Readers only read rows whose transaction id is below their
-- snapshot's xmin: every transaction below it has ended, so no row can later appear before
-- that point, even when two replicas commit out of sequence order.
CREATE TABLE events (
    id              uuid        PRIMARY KEY,
    seq             bigserial   NOT NULL,
    tx_id           xid8        NOT NULL DEFAULT pg_current_xact_id(),
    team_id         text        NOT NULL,
    integration_id  uuid,
    type            text        NOT NULL,
    payload         jsonb       NOT NULL,
    create_time     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_log_order ON events (tx_id, seq);
CREATE INDEX events_by_team ON events (team_id, tx_id, seq);
CREATE INDEX events_by_time ON events (create_time);

-- The highest log position removed by retention: a cursor at or before it has lost events.
CREATE TABLE event_log_horizon (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    tx_id       xid8    NOT NULL,
    seq         bigint  NOT NULL
);
INSERT INTO event_log_horizon (tx_id, seq) VALUES ('0'::xid8, 0);
