-- S5: PATCH /Users/{id} replacing `active` of random seeded users, alternating false and true.
local common = require "common"
local ids = common.items()
local flip = false

local template = [[{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],]] ..
  [["Operations":[{"op":"replace","path":"active","value":%s}]}]]

request = function()
  flip = not flip
  return common.request("PATCH", common.scim .. "/Users/" .. common.pick(ids),
    string.format(template, tostring(not flip)))
end
