-- The channel directory: each workspace's public channels as `conversations.list` last
-- listed them, kept current between listings by Slack's channel events, and where each
-- workspace's listing stands. ListChannels answers from it; a background refresher lists
-- Slack again every so often, one replica per workspace at a time (an advisory lock), page
-- by page, the cursor saved with each page so a 429 or a restart resumes where it stopped.
-- It replaces `channel_listings` (one JSON blob per integration), which nothing reads any
-- more; the table stays until every replica runs this version.

-- Trigrams make ListChannels' substring search fast: a trusted extension (the database
-- owner may create it) that ships with Debian's server package.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE channel_directories (
    workspace_id        text        PRIMARY KEY,
    -- Bumped when a listing starts at the first page. Entries the listing of this
    -- generation did not see (nor any event mentioned meanwhile) are gone when it completes.
    generation          bigint      NOT NULL DEFAULT 0,
    -- The cursor of the next page of the listing underway; NULL when none is underway.
    cursor              text,
    listing_start_time  timestamptz,
    -- The end of the last complete listing; NULL until the first one completes (until
    -- then ListChannels lists Slack itself, resuming this listing).
    complete_time       timestamptz,
    next_refresh_time   timestamptz NOT NULL DEFAULT now(),
    -- Why the last try stopped short (Slack's error label), for operators.
    last_error          text
);
CREATE INDEX channel_directories_due ON channel_directories (next_refresh_time);

CREATE TABLE channel_directory_entries (
    workspace_id    text        NOT NULL
                                REFERENCES channel_directories (workspace_id) ON DELETE CASCADE,
    channel_id      text        NOT NULL,
    -- Byte order, as ListChannels has always sorted (and its page tokens assume).
    name            text        COLLATE "C" NOT NULL,
    -- The name lowercased by the service (not by the database's locale), for name_query.
    name_lower      text        NOT NULL,
    purpose         text        NOT NULL DEFAULT '',
    topic           text        NOT NULL DEFAULT '',
    member_count    integer     NOT NULL DEFAULT 0,
    is_member       boolean     NOT NULL DEFAULT false,
    is_archived     boolean     NOT NULL DEFAULT false,
    -- The directory generation that last saw the channel (a listing's page or an event).
    generation      bigint      NOT NULL,
    update_time     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, channel_id)
);
-- Pages in name order, and counts, without a sort.
CREATE INDEX channel_directory_entries_by_name
    ON channel_directory_entries (workspace_id, name, channel_id) WHERE NOT is_archived;
-- `name_lower LIKE '%query%'` for queries of three characters or more (shorter ones read
-- the workspace's entries in name order). The name alone: with the workspace as a second
-- key, every search would read the workspace's whole posting list (10 ms instead of 0.4 on
-- 20,000 channels); a selective query's matches in other workspaces are few to skip.
CREATE INDEX channel_directory_entries_name_trgm
    ON channel_directory_entries USING gin (name_lower gin_trgm_ops);
