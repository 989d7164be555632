-- A1 / A2: GET /api/v1/directories/default/users?limit=100 with an admin token: the first page
-- of the admin listing (no BENCH_ITEMS), or a page at a random cursor (`after`) among the last
-- 100 pages of a full walk (BENCH_ITEMS: those cursors, URL-encoded).
local common = require "common"
local cursors = os.getenv("BENCH_ITEMS") and common.items()
local path = "/api/v1/directories/default/users?limit=100"

request = function()
  if cursors then
    return common.request("GET", path .. "&after=" .. common.pick(cursors))
  end
  return common.request("GET", path)
end
