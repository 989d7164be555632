-- E1: GET /api/v1/events?after=<random event id>&limit=100 with an admin token: a full page of
-- the feed from a random depth (every id in BENCH_ITEMS has at least 100 events after it).
local common = require "common"
local ids = common.items()

request = function()
  return common.request("GET", "/api/v1/events?after=" .. common.pick(ids) .. "&limit=100")
end
