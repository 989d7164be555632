-- A1 / A2: GET /api/v1/directories/default/users?limit=100&after=<cursor> with an admin token,
-- at a random cursor among pages 2 to 101 (A1) or the last 100 pages (A2) of a full walk
-- (BENCH_ITEMS: those cursors, URL-encoded). Both read 100 different pages, so that neither is
-- favoured by finding its rows in SQLite's page cache.
local common = require "common"
local cursors = common.items()
local path = "/api/v1/directories/default/users?limit=100"

request = function()
  return common.request("GET", path .. "&after=" .. common.pick(cursors))
end
