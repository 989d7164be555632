-- The user lifecycle the admin products show: local suspension, a state per user, an archive of
-- deleted users and groups, and group → role mappings. Keep table and column names identical to
-- migrations/sqlite.

-- Where a user comes from: `scim` (an identity provider) or `local` (an import by the operator).
ALTER TABLE users ADD COLUMN source TEXT COLLATE "C" NOT NULL DEFAULT 'scim';
-- An admin's local suspension, independent of the identity provider's `active`.
ALTER TABLE users ADD COLUMN suspended_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN suspended_reason TEXT;
ALTER TABLE users ADD COLUMN suspended_by JSONB;
-- Derived by the database, so no writer can forget it: suspended wins over the provider's
-- `active: false`; an absent `active` counts as active (RFC 7643 §4.1.1 leaves it to the server).
ALTER TABLE users ADD COLUMN state TEXT COLLATE "C" GENERATED ALWAYS AS (
    CASE WHEN suspended_at IS NOT NULL THEN 'suspended'
         WHEN active = FALSE THEN 'inactive'
         ELSE 'active' END) STORED;
-- Alphabetical order by family name, then given name (then userName, so the key is total).
ALTER TABLE users ADD COLUMN sort_name TEXT COLLATE "C" GENERATED ALWAYS AS (
    COALESCE(name_family_name_norm, '') || E'\001' || COALESCE(name_given_name_norm, '')
    || E'\001' || user_name_norm) STORED;

-- The admin API's listings: each state with each order, and every order without a state.
CREATE INDEX users_state_name ON users (tenant_id, state, sort_name, id);
CREATE INDEX users_state_user_name ON users (tenant_id, state, user_name_norm, id);
CREATE INDEX users_state_created ON users (tenant_id, state, created, id);
CREATE INDEX users_state_modified ON users (tenant_id, state, last_modified, id);
CREATE INDEX users_name ON users (tenant_id, sort_name, id);
CREATE INDEX users_modified ON users (tenant_id, last_modified, id);
-- `q=` prefix search on names.
CREATE INDEX users_given_name ON users (tenant_id, name_given_name_norm);
CREATE INDEX users_family_name ON users (tenant_id, name_family_name_norm);

-- Deleted users and groups, kept for `--archive-retention-days`: gone from SCIM (their names are
-- free again) but restorable. `resource` is the resource's canonical attributes and meta,
-- `memberships` the groups it was in, `extra` what else a restore needs (a password hash, a
-- group's members and role mappings).
CREATE TABLE archive (
    tenant_id       TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    resource_type   TEXT COLLATE "C" NOT NULL,
    id              TEXT COLLATE "C" NOT NULL,
    name            TEXT COLLATE "C" NOT NULL,
    name_norm       TEXT COLLATE "C" NOT NULL,
    sort_name       TEXT COLLATE "C" NOT NULL,
    external_id     TEXT COLLATE "C",
    created         TIMESTAMPTZ NOT NULL,
    last_modified   TIMESTAMPTZ NOT NULL,
    deleted_at      TIMESTAMPTZ NOT NULL,
    deleted_by      JSONB NOT NULL,
    request_id      TEXT NOT NULL,
    purge_after     TIMESTAMPTZ NOT NULL,
    resource        JSONB NOT NULL,
    memberships     JSONB NOT NULL,
    extra           JSONB NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX archive_name ON archive (tenant_id, resource_type, sort_name, id);
CREATE INDEX archive_user_name ON archive (tenant_id, resource_type, name_norm, id);
CREATE INDEX archive_created ON archive (tenant_id, resource_type, created, id);
CREATE INDEX archive_deleted ON archive (tenant_id, resource_type, deleted_at, id);
CREATE INDEX archive_purge ON archive (purge_after);

-- Roles the host application maps to groups; a user has the roles of every group it is in,
-- directly or through nested groups.
CREATE TABLE role_mappings (
    tenant_id   TEXT COLLATE "C" NOT NULL,
    group_id    TEXT COLLATE "C" NOT NULL,
    role        TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, group_id, role),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE
);
