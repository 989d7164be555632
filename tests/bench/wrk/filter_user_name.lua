-- S2: GET /Users?filter=userName eq "user{i}@example.com" for random seeded users.
local common = require "common"

request = function()
  local i = math.random(1, common.users)
  return common.request("GET",
    common.scim .. "/Users?filter=userName%20eq%20%22user" .. i .. "%40example.com%22")
end
