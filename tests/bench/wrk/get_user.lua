-- S1: GET /Users/{id} of random seeded users.
local common = require "common"
local ids = common.items()

request = function()
  return common.request("GET", common.scim .. "/Users/" .. common.pick(ids))
end
