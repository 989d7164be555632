-- name.familyName is what HR searches and the RFC 7644 §3.4.2.2 examples filter on (`eq`, `sw`,
-- whose range form an index serves); without this index such a filter read every user.
CREATE INDEX users_family_name ON users (tenant_id, name_family_name_norm);
