-- S6: PATCH /Groups/{id} of the `large` group adding one random seeded user as a member.
local common = require "common"
local ids = common.items()
local group = assert(os.getenv("BENCH_GROUP_ID"), "BENCH_GROUP_ID is not set")

local template = [[{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],]] ..
  [["Operations":[{"op":"add","path":"members","value":[{"value":"%s"}]}]}]]

request = function()
  return common.request("PATCH", common.scim .. "/Groups/" .. group,
    string.format(template, common.pick(ids)))
end
