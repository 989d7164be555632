-- Counting the users whose family (or given) name starts with a prefix and who are active, e.g.
-- `name.familyName sw "M" and active eq true` (`totalResults` of every such list page), from the
-- index alone instead of reading each matching user's row: the name indexes also carry
-- `active`. They replace the indexes of 0004 on the same leading columns, which serve every
-- lookup those did. Keep table and index names identical in migrations/sqlite and
-- migrations/postgres.
CREATE INDEX users_family_name_active ON users (tenant_id, name_family_name_norm, active);
CREATE INDEX users_given_name_active ON users (tenant_id, name_given_name_norm, active);
DROP INDEX users_family_name;
DROP INDEX users_given_name;
