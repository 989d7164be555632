-- Many directories (the `tenants` table, one row per customer connection): the recent SCIM
-- requests each directory received, for its setup view, and the feed read per directory.
-- Keep table and column names identical to migrations/postgres.

-- The last SCIM requests of each directory (the newest 100 are kept), written in batches.
CREATE TABLE scim_requests (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    status      INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX scim_requests_recent ON scim_requests (tenant_id, seq);

-- `GET /api/v1/events?directory=`: one directory's events in feed order.
CREATE INDEX events_by_directory ON events (tenant_id, position);
