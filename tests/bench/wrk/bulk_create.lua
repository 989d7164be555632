-- S8-create: POST /Bulk with 1,000 user creates, each S4's body with a userName no run has used.
local common = require "common"
local OPERATIONS = 1000
local sent = 0

local operation = [[{"method":"POST","path":"/Users","bulkId":"u%d","data":]] ..
  [[{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],]] ..
  [["userName":"%s","name":{"givenName":"Bench","familyName":"User"},]] ..
  [["displayName":"Bench User","emails":[{"value":"%s","type":"work","primary":true}],]] ..
  [["active":true}}]]

request = function()
  sent = sent + 1
  local ops = {}
  for i = 1, OPERATIONS do
    local name = string.format("bulk-%s-%d-%d-%d@example.com", common.run, thread_id or 0, sent, i)
    ops[i] = string.format(operation, i, name, name)
  end
  local body = [[{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[]] ..
    table.concat(ops, ",") .. "]}"
  return common.request("POST", common.scim .. "/Bulk", body)
end

response = function(status, headers, body)
  common.count_failed_operations(body)
end
