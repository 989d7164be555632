-- S3c: GET /Users?cursor=C&count=100 with cursors collected by walking the whole list.
local common = require "common"
local cursors = common.items() -- already URL-encoded

request = function()
  return common.request("GET", common.scim .. "/Users?cursor=" .. common.pick(cursors) .. "&count=100")
end
