-- Updates and deletions of posted messages travel through the outbox too, in the same
-- channel lane, so they follow the post they change.

ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('post', 'reply', 'update', 'delete'));

-- The post or reply an update or delete applies to.
ALTER TABLE deliveries ADD COLUMN target_delivery_id uuid;

-- Idempotency covers posts and replies (the caller's message ids); an update or delete
-- carries the id of the message it changes.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_idempotency;
CREATE UNIQUE INDEX deliveries_idempotency ON deliveries (integration_id, internal_message_id)
    WHERE kind IN ('post', 'reply');
