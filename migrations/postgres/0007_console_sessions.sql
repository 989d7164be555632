-- Sessions of the admin console (`/admin`): a browser signs in with an admin token and gets a
-- random session id in a cookie. Only the id's SHA-256 is stored, so a copy of the database
-- opens no session. Sessions live in the database so that every scimd instance in front of it
-- honours them. Keep table and column names identical to migrations/sqlite.
CREATE TABLE console_sessions (
    id_hash     TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    -- The admin token signed in with (its `jti` in `api_tokens` of the `default` directory):
    -- revoking it ends its sessions, and console actions are attributed to it.
    token_id    TEXT COLLATE "C" NOT NULL,
    token_name  TEXT NOT NULL,
    -- The session's CSRF secret, carried by every form of the console.
    csrf        TEXT NOT NULL,
    created     TIMESTAMPTZ NOT NULL,
    expires     TIMESTAMPTZ NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires);
