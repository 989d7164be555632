-- S7: GET /Users?filter=name.familyName sw "M" and active eq true&count=100 (one user in six
-- matches). The same query every time.
local common = require "common"

local path = common.scim .. "/Users?filter=name.familyName%20sw%20%22M%22%20and%20active%20eq%20true" ..
  "&count=100"

request = function()
  return common.request("GET", path)
end
