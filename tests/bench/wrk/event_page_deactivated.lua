-- E2: GET /api/v1/events?after=<random event id>&limit=100&types=user.deactivated: a full page
-- of one event type (a tenth of all events) from a random depth.
local common = require "common"
local ids = common.items()

request = function()
  return common.request("GET",
    "/api/v1/events?after=" .. common.pick(ids) .. "&limit=100&types=user.deactivated")
end
