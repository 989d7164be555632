-- S8-patch: POST /Bulk with 1,000 PATCHes, each S5's: `active` of a random seeded user,
-- alternately false and true.
local common = require "common"
local ids = common.items()
local OPERATIONS = 1000
local flip = false

local operation = [[{"method":"PATCH","path":"/Users/%s","data":]] ..
  [[{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],]] ..
  [["Operations":[{"op":"replace","path":"active","value":%s}]}}]]

request = function()
  local ops = {}
  for i = 1, OPERATIONS do
    flip = not flip
    ops[i] = string.format(operation, common.pick(ids), tostring(not flip))
  end
  local body = [[{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[]] ..
    table.concat(ops, ",") .. "]}"
  return common.request("POST", common.scim .. "/Bulk", body)
end

response = function(status, headers, body)
  common.count_failed_operations(body)
end
