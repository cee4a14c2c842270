-- Retention: finished deliveries, their attempts and handled Slack events are removed once
-- older than SWITCHBOARD_DELIVERY_RETENTION_DAYS, a small batch per transaction.

-- When a delivery became final (sent, failed or cancelled). Age is counted from here, not
-- from creation: every attempt of a delivery precedes its finish, so removing by finish
-- time never removes an attempt younger than the retention (the stats stay whole within it).
ALTER TABLE deliveries ADD COLUMN finish_time timestamptz;
UPDATE deliveries d
   SET finish_time = COALESCE(
           d.sent_time,
           (SELECT max(a.attempt_time) FROM delivery_attempts a WHERE a.delivery_id = d.id),
           d.create_time)
 WHERE d.state IN ('sent', 'failed', 'cancelled');

-- The sweep walks the finished deliveries oldest first, a batch after the last (finish_time,
-- id) it took up: each batch is one range of this index, whatever lies before or after it.
CREATE INDEX deliveries_finished ON deliveries (finish_time, id)
    WHERE state IN ('sent', 'failed', 'cancelled');

-- A finished message is kept while a reply waits for it (the reply finds its parent by the
-- caller's id): the sweep asks this small index whether one does.
CREATE INDEX deliveries_pending_replies ON deliveries (integration_id, parent_internal_message_id)
    WHERE state IN ('queued', 'retrying') AND parent_internal_message_id IS NOT NULL;
