-- A3: GET /api/v1/directories/default/users?q=<prefix>&limit=100 with an admin token; the
-- prefixes (BENCH_ITEMS, URL-encoded) match few users (A3-few) or many (A3-many).
local common = require "common"
local prefixes = common.items()

request = function()
  return common.request("GET",
    "/api/v1/directories/default/users?limit=100&q=" .. common.pick(prefixes))
end
