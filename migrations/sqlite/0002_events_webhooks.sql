-- Change events, the feed the host application reads, webhooks and their deliveries; token scopes.
-- Keep table and column names identical to migrations/postgres.

-- `scim` tokens call /scim/v2; `admin` tokens call the host application's API (/api/v1).
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'scim';

-- One row per committed change. `position` is the feed order. On SQLite, whose writers commit one
-- at a time, a writer gives its events their positions as it inserts them; on PostgreSQL the
-- sequencer (`store::events::sequence`) numbers them after commit (see migrations/postgres).
CREATE TABLE events (
    seq                 INTEGER PRIMARY KEY,
    position            INTEGER UNIQUE,
    tenant_id           TEXT NOT NULL,
    type                TEXT NOT NULL,
    resource_type       TEXT NOT NULL,
    resource_id         TEXT NOT NULL,
    -- For group.member_added / member_removed: the member, so a user's history includes them.
    member_id           TEXT,
    occurred_at         TEXT NOT NULL,
    actor               TEXT NOT NULL CHECK (json_valid(actor)),
    request_id          TEXT NOT NULL,
    data                TEXT NOT NULL CHECK (json_valid(data)),
    previous_attributes TEXT CHECK (previous_attributes IS NULL OR json_valid(previous_attributes))
);
CREATE INDEX events_by_type ON events (type, position);
CREATE INDEX events_by_resource ON events (resource_id, position);
CREATE INDEX events_by_member ON events (member_id, position) WHERE member_id IS NOT NULL;

-- The feed's single row: the last position removed by retention (only a prefix of the feed is
-- ever removed, so positions continue after MAX(position), or after this when none is left).
-- Its row lock makes sequencers and pruners take turns.
CREATE TABLE event_feed (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    pruned_through  INTEGER NOT NULL
);
INSERT INTO event_feed (id, pruned_through) VALUES (1, 0);

-- Webhook endpoints. Each receives the feed's events in order, one at a time, starting after
-- `delivered_through`; `lease_*` name the instance delivering to it right now.
CREATE TABLE webhooks (
    id                      TEXT PRIMARY KEY NOT NULL,
    url                     TEXT NOT NULL,
    types                   TEXT CHECK (types IS NULL OR json_valid(types)),
    secret                  TEXT NOT NULL,
    previous_secret         TEXT,
    previous_secret_expires TEXT,
    created                 TEXT NOT NULL,
    delivered_through       INTEGER NOT NULL,
    state                   TEXT NOT NULL,
    failures                INTEGER NOT NULL,
    next_attempt            TEXT,
    last_error              TEXT,
    lease_owner             TEXT,
    lease_until             TEXT
);

-- Recent delivery attempts, for the delivery log.
CREATE TABLE webhook_deliveries (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_position  INTEGER NOT NULL,
    attempt         INTEGER NOT NULL,
    attempted_at    TEXT NOT NULL,
    duration_ms     INTEGER NOT NULL,
    outcome         TEXT NOT NULL,
    response_code   INTEGER,
    response_body   TEXT,
    error           TEXT
);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (webhook_id, seq);
