-- The walks of the group graph (effective roles, src/store/roles.rs) step along the rows of
-- nested groups only. The index on member_group_id held every membership, a NULL for each user
-- member: with planner statistics SQLite took a lookup in it for one that returns most of the
-- directory, and scanned every membership at each step of every walk. Partial indexes hold just
-- the nested rows, one for each direction of a walk, each holding both ends so a step reads
-- no table row.
DROP INDEX group_members_group;
CREATE INDEX group_members_parents ON group_members (tenant_id, member_group_id, group_id)
    WHERE member_group_id IS NOT NULL;
CREATE INDEX group_members_children ON group_members (tenant_id, group_id, member_group_id)
    WHERE member_group_id IS NOT NULL;
