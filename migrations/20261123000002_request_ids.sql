-- AIP-155 request ids: a mutation repeated with the same request_id answers what the first
-- one answered instead of doing it again. Kept for a day (purged as new ones arrive).

CREATE TABLE request_ids (
    -- Who asked: a team token's team, or '' for a service key.
    scope           text        NOT NULL,
    -- The RPC, e.g. 'DeleteMessage'.
    method          text        NOT NULL,
    request_id      text        NOT NULL,
    -- SHA-256 of the request: the same id with another request is refused.
    fingerprint     bytea       NOT NULL,
    -- What the first call produced (a delivery or an integration), once it is done.
    answer          uuid,
    create_time     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, method, request_id)
);
CREATE INDEX request_ids_age ON request_ids (create_time);

-- At most one live delete per message is looked up by its target.
CREATE INDEX deliveries_by_target ON deliveries (target_delivery_id)
    WHERE target_delivery_id IS NOT NULL;
