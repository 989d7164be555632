-- A webhook endpoint may be limited to one directory's events (NULL: every directory's). It is
-- removed with its directory. Keep table and column names identical to migrations/postgres.
ALTER TABLE webhooks ADD COLUMN tenant_id TEXT REFERENCES tenants (id) ON DELETE CASCADE;
