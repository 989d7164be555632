-- S4: POST /Users with a small realistic body and a userName no run has used.
local common = require "common"
local created = 0

local template = [[{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],]] ..
  [["userName":"%s","name":{"givenName":"Bench","familyName":"User"},]] ..
  [["displayName":"Bench User","emails":[{"value":"%s","type":"work","primary":true}],]] ..
  [["active":true}]]

request = function()
  created = created + 1
  local name = string.format("bench-%s-%d-%d@example.com", common.run, thread_id or 0, created)
  return common.request("POST", common.scim .. "/Users", string.format(template, name, name))
end
