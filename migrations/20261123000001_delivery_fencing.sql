-- An attempt can outlive its worker's lease (a slow Slack, a starved or paused process).
-- Two columns keep that from ever posting a message twice:

-- Bumped by every claim of a lane: a worker records its attempt only while the lane still
-- carries the epoch it claimed (fencing), so a worker that lost its lease writes nothing
-- over the new owner's work.
ALTER TABLE channel_lanes ADD COLUMN lease_epoch bigint NOT NULL DEFAULT 0;

-- No call made so far for this delivery can still reach Slack after this time: the lease it
-- ran under (renewed while it runs) plus a grace period for Slack's own processing. A post of
-- unknown outcome is looked up in the channel history only after it, so the lookup cannot
-- miss a post that is still on its way.
ALTER TABLE deliveries ADD COLUMN settle_time timestamptz;
