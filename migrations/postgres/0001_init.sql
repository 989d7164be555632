-- scimd schema, PostgreSQL dialect. Text uses the "C" collation: comparisons and sorting by code
-- point, as on SQLite, whatever the database's default locale. Keep table and column names identical to migrations/sqlite.
-- Every table carries tenant_id from the start; one 'default' tenant until multi-tenancy lands.

CREATE TABLE tenants (
    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    created     TIMESTAMPTZ NOT NULL
);
INSERT INTO tenants (id, name, created) VALUES ('default', 'Default tenant', now());

-- HMAC keys that sign bearer tokens (JWT, HS256); the newest active one signs.
CREATE TABLE signing_keys (
    tenant_id   TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
    kid         TEXT COLLATE "C" NOT NULL,
    secret      TEXT COLLATE "C" NOT NULL,
    created     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, kid)
);

-- Issued tokens by their jti; the token itself is never stored.
CREATE TABLE api_tokens (
    tenant_id   TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
    jti         TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    created     TIMESTAMPTZ NOT NULL,
    expires     TIMESTAMPTZ,
    last_used   TIMESTAMPTZ,
    revoked     TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, jti)
);
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (tenant_id, name) WHERE revoked IS NULL;

CREATE TABLE users (
    tenant_id           TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
    id                  TEXT COLLATE "C" NOT NULL,
    user_name           TEXT COLLATE "C" NOT NULL,
    user_name_norm      TEXT COLLATE "C" NOT NULL,
    external_id         TEXT COLLATE "C",
    display_name        TEXT COLLATE "C",
    nick_name           TEXT COLLATE "C",
    profile_url         TEXT COLLATE "C",
    title               TEXT COLLATE "C",
    user_type           TEXT COLLATE "C",
    preferred_language  TEXT COLLATE "C",
    locale              TEXT COLLATE "C",
    timezone            TEXT COLLATE "C",
    active              BOOLEAN,
    password_hash       TEXT COLLATE "C",
    name_formatted      TEXT COLLATE "C",
    name_family_name    TEXT COLLATE "C",
    name_given_name     TEXT COLLATE "C",
    name_middle_name    TEXT COLLATE "C",
    name_honorific_prefix TEXT COLLATE "C",
    name_honorific_suffix TEXT COLLATE "C",
    employee_number     TEXT COLLATE "C",
    cost_center         TEXT COLLATE "C",
    organization        TEXT COLLATE "C",
    division            TEXT COLLATE "C",
    department          TEXT COLLATE "C",
    -- lower-cased copies (in Rust) of the caseExact=false columns above, for filters
    display_name_norm   TEXT COLLATE "C",
    nick_name_norm      TEXT COLLATE "C",
    profile_url_norm    TEXT COLLATE "C",
    title_norm          TEXT COLLATE "C",
    user_type_norm      TEXT COLLATE "C",
    preferred_language_norm TEXT COLLATE "C",
    locale_norm         TEXT COLLATE "C",
    timezone_norm       TEXT COLLATE "C",
    name_formatted_norm TEXT COLLATE "C",
    name_family_name_norm TEXT COLLATE "C",
    name_given_name_norm TEXT COLLATE "C",
    name_middle_name_norm TEXT COLLATE "C",
    name_honorific_prefix_norm TEXT COLLATE "C",
    name_honorific_suffix_norm TEXT COLLATE "C",
    employee_number_norm TEXT COLLATE "C",
    cost_center_norm    TEXT COLLATE "C",
    organization_norm   TEXT COLLATE "C",
    division_norm       TEXT COLLATE "C",
    department_norm     TEXT COLLATE "C",
    manager_id          TEXT COLLATE "C",
    extra               JSONB NOT NULL,
    created             TIMESTAMPTZ NOT NULL,
    last_modified       TIMESTAMPTZ NOT NULL,
    version             BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX users_user_name ON users (tenant_id, user_name_norm);
CREATE INDEX users_external_id ON users (tenant_id, external_id);
CREATE INDEX users_display_name ON users (tenant_id, display_name_norm);
CREATE INDEX users_listing ON users (tenant_id, created, id);

-- Multi-valued attributes (emails, phoneNumbers, ims, photos, addresses, entitlements, roles,
-- x509Certificates), one row per value, in the order the client sent them.
CREATE TABLE user_values (
    tenant_id   TEXT COLLATE "C" NOT NULL,
    user_id     TEXT COLLATE "C" NOT NULL,
    attr        TEXT COLLATE "C" NOT NULL,
    position    BIGINT NOT NULL,
    value       TEXT COLLATE "C",
    value_norm  TEXT COLLATE "C",
    type        TEXT COLLATE "C",
    type_norm   TEXT COLLATE "C",
    is_primary  BOOLEAN,
    display     TEXT COLLATE "C",
    display_norm TEXT COLLATE "C",
    extra       JSONB NOT NULL,
    PRIMARY KEY (tenant_id, user_id, attr, position),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_values_lookup ON user_values (tenant_id, attr, value_norm);

CREATE TABLE groups (
    tenant_id           TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
    id                  TEXT COLLATE "C" NOT NULL,
    display_name        TEXT COLLATE "C" NOT NULL,
    display_name_norm   TEXT COLLATE "C" NOT NULL,
    external_id         TEXT COLLATE "C",
    extra               JSONB NOT NULL,
    created             TIMESTAMPTZ NOT NULL,
    last_modified       TIMESTAMPTZ NOT NULL,
    version             BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX groups_display_name ON groups (tenant_id, display_name_norm);
CREATE INDEX groups_external_id ON groups (tenant_id, external_id);
CREATE INDEX groups_listing ON groups (tenant_id, created, id);

-- Group membership: a member is a user or (nested) a group; exactly one of the two is set.
CREATE TABLE group_members (
    tenant_id       TEXT COLLATE "C" NOT NULL,
    group_id        TEXT COLLATE "C" NOT NULL,
    member_id       TEXT COLLATE "C" NOT NULL,
    user_id         TEXT COLLATE "C",
    member_group_id TEXT COLLATE "C",
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
