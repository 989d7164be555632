-- The admin API's groups listing orders by (display_name_norm, id): with the id in the index
-- its pages are read in order, without sorting groups of equal names. The new index serves
-- every lookup the old one did. Keep index names identical to migrations/sqlite.
DROP INDEX groups_display_name;
CREATE INDEX groups_display_name ON groups (tenant_id, display_name_norm, id);
