-- scimd schema, SQLite dialect. Keep table and column names identical to migrations/postgres.
-- Every table carries tenant_id from the start; one 'default' tenant until multi-tenancy lands.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created     TEXT NOT NULL
);
INSERT INTO tenants (id, name, created) VALUES ('default', 'Default tenant', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

-- HMAC keys that sign bearer tokens (JWT, HS256); the newest active one signs.
CREATE TABLE signing_keys (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    kid         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    created     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kid)
);

-- Issued tokens by their jti; the token itself is never stored.
CREATE TABLE api_tokens (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    jti         TEXT NOT NULL,
    name        TEXT NOT NULL,
    created     TEXT NOT NULL,
    expires     TEXT,
    last_used   TEXT,
    revoked     TEXT,
    PRIMARY KEY (tenant_id, jti)
);
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (tenant_id, name) WHERE revoked IS NULL;

CREATE TABLE users (
    tenant_id           TEXT NOT NULL REFERENCES tenants(id),
    id                  TEXT NOT NULL,
    user_name           TEXT NOT NULL,
    user_name_norm      TEXT NOT NULL,
    external_id         TEXT,
    display_name        TEXT,
    nick_name           TEXT,
    profile_url         TEXT,
    title               TEXT,
    user_type           TEXT,
    preferred_language  TEXT,
    locale              TEXT,
    timezone            TEXT,
    active              BOOLEAN,
    password_hash       TEXT,
    name_formatted      TEXT,
    name_family_name    TEXT,
    name_given_name     TEXT,
    name_middle_name    TEXT,
    name_honorific_prefix TEXT,
    name_honorific_suffix TEXT,
    employee_number     TEXT,
    cost_center         TEXT,
    organization        TEXT,
    division            TEXT,
    department          TEXT,
    -- lower-cased copies (in Rust) of the caseExact=false columns above, for filters
    display_name_norm   TEXT,
    nick_name_norm      TEXT,
    profile_url_norm    TEXT,
    title_norm          TEXT,
    user_type_norm      TEXT,
    preferred_language_norm TEXT,
    locale_norm         TEXT,
    timezone_norm       TEXT,
    name_formatted_norm TEXT,
    name_family_name_norm TEXT,
    name_given_name_norm TEXT,
    name_middle_name_norm TEXT,
    name_honorific_prefix_norm TEXT,
    name_honorific_suffix_norm TEXT,
    employee_number_norm TEXT,
    cost_center_norm    TEXT,
    organization_norm   TEXT,
    division_norm       TEXT,
    department_norm     TEXT,
    manager_id          TEXT,
    extra               TEXT NOT NULL CHECK (json_valid(extra)),
    created             TEXT NOT NULL,
    last_modified       TEXT NOT NULL,
    version             INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX users_user_name ON users (tenant_id, user_name_norm);
CREATE INDEX users_external_id ON users (tenant_id, external_id);
CREATE INDEX users_display_name ON users (tenant_id, display_name_norm);
CREATE INDEX users_listing ON users (tenant_id, created, id);

-- Multi-valued attributes (emails, phoneNumbers, ims, photos, addresses, entitlements, roles,
-- x509Certificates), one row per value, in the order the client sent them.
CREATE TABLE user_values (
    tenant_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    attr        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    value       TEXT,
    value_norm  TEXT,
    type        TEXT,
    type_norm   TEXT,
    is_primary  BOOLEAN,
    display     TEXT,
    display_norm TEXT,
    extra       TEXT NOT NULL CHECK (json_valid(extra)),
    PRIMARY KEY (tenant_id, user_id, attr, position),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_values_lookup ON user_values (tenant_id, attr, value_norm);

CREATE TABLE groups (
    tenant_id           TEXT NOT NULL REFERENCES tenants(id),
    id                  TEXT NOT NULL,
    display_name        TEXT NOT NULL,
    display_name_norm   TEXT NOT NULL,
    external_id         TEXT,
    extra               TEXT NOT NULL CHECK (json_valid(extra)),
    created             TEXT NOT NULL,
    last_modified       TEXT NOT NULL,
    version             INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX groups_display_name ON groups (tenant_id, display_name_norm);
CREATE INDEX groups_external_id ON groups (tenant_id, external_id);
CREATE INDEX groups_listing ON groups (tenant_id, created, id);

-- Group membership: a member is a user or (nested) a group; exactly one of the two is set.
CREATE TABLE group_members (
    tenant_id       TEXT NOT NULL,
    group_id        TEXT NOT NULL,
    member_id       TEXT NOT NULL,
    user_id         TEXT,
    member_group_id TEXT,
    PRIMARY KEY (tenant_id, group_id, member_id),
    CHECK ((user_id IS NULL) <> (member_group_id IS NULL)),
    CHECK (member_id = COALESCE(user_id, member_group_id)),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, member_group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX group_members_user ON group_members (tenant_id, user_id);
CREATE INDEX group_members_group ON group_members (tenant_id, member_group_id);
-- `members.value eq "…"` and `User.groups` lookups by member.
CREATE INDEX group_members_member ON group_members (tenant_id, member_id);
