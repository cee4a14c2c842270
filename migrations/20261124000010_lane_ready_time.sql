-- When a lane may next be claimed, kept in the row so that the claim finds due lanes by an
-- index instead of walking every lane with work whose pace does not allow a message yet:
-- with a large backlog nearly every lane is due and paced, and that walk grew with it.
--
-- `pace_ready` is when the lane's pace allows its next message (its GCRA theoretical
-- arrival time less the burst window), written by the claim; `ready_time` is the later of
-- that and the head's due time, and NULL for an idle lane.
ALTER TABLE channel_lanes
    ADD COLUMN pace_ready timestamptz NOT NULL DEFAULT '-infinity',
    ADD COLUMN ready_time timestamptz
        GENERATED ALWAYS AS (CASE WHEN next_due IS NOT NULL THEN GREATEST(next_due, pace_ready) END) STORED;

CREATE INDEX channel_lanes_ready ON channel_lanes (ready_time) WHERE ready_time IS NOT NULL;
DROP INDEX channel_lanes_due;
