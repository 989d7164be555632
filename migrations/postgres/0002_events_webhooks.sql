-- Change events, the feed the host application reads, webhooks and their deliveries; token scopes.
-- Keep table and column names identical to migrations/sqlite.

-- `scim` tokens call /scim/v2; `admin` tokens call the host application's API (/api/v1).
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'scim';

-- One row per committed change. `seq` is the insertion order, which on PostgreSQL is not the
-- commit order: a transaction can take seq 5, commit after the one that took seq 6, and a reader
-- that already passed 6 would never see 5. So readers never use `seq`: `position`, the feed
-- order, is assigned after commit by the sequencer (`store::events::sequence`), which numbers
-- only rows that are already committed, under the row lock of `event_feed`.
CREATE TABLE events (
    seq                 BIGSERIAL PRIMARY KEY,
    position            BIGINT UNIQUE,
    tenant_id           TEXT NOT NULL,
    type                TEXT NOT NULL,
    resource_type       TEXT NOT NULL,
    resource_id         TEXT NOT NULL,
    -- For group.member_added / member_removed: the member, so a user's history includes them.
    member_id           TEXT,
    occurred_at         TIMESTAMPTZ NOT NULL,
    actor               JSONB NOT NULL,
    request_id          TEXT NOT NULL,
    data                JSONB NOT NULL,
    previous_attributes JSONB
);
CREATE INDEX events_unsequenced ON events (seq) WHERE position IS NULL;
CREATE INDEX events_by_type ON events (type, position);
CREATE INDEX events_by_resource ON events (resource_id, position);
CREATE INDEX events_by_member ON events (member_id, position) WHERE member_id IS NOT NULL;

-- The feed's single row: the last position removed by retention (only a prefix of the feed is
-- ever removed, so positions continue after MAX(position), or after this when none is left).
-- Its row lock makes sequencers and pruners take turns.
CREATE TABLE event_feed (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    pruned_through  BIGINT NOT NULL
);
INSERT INTO event_feed (id, pruned_through) VALUES (1, 0);

-- Webhook endpoints. Each receives the feed's events in order, one at a time, starting after
-- `delivered_through`; `lease_*` name the instance delivering to it right now.
CREATE TABLE webhooks (
    id                      TEXT PRIMARY KEY NOT NULL,
    url                     TEXT NOT NULL,
    types                   JSONB,
    secret                  TEXT NOT NULL,
    previous_secret         TEXT,
    previous_secret_expires TIMESTAMPTZ,
    created                 TIMESTAMPTZ NOT NULL,
    delivered_through       BIGINT NOT NULL,
    state                   TEXT NOT NULL,
    failures                BIGINT NOT NULL,
    next_attempt            TIMESTAMPTZ,
    last_error              TEXT,
    lease_owner             TEXT,
    lease_until             TIMESTAMPTZ
);

-- Recent delivery attempts, for the delivery log.
CREATE TABLE webhook_deliveries (
    seq             BIGSERIAL PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_position  BIGINT NOT NULL,
    attempt         BIGINT NOT NULL,
    attempted_at    TIMESTAMPTZ NOT NULL,
    duration_ms     BIGINT NOT NULL,
    outcome         TEXT NOT NULL,
    response_code   BIGINT,
    response_body   TEXT,
    error           TEXT
);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (webhook_id, seq);
