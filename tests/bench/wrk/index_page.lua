-- S3: GET /Users?startIndex=R&count=100 at random R, so every page is full.
local common = require "common"

request = function()
  local r = math.random(1, common.users - 99)
  return common.request("GET", common.scim .. "/Users?startIndex=" .. r .. "&count=100")
end
