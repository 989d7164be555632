-- Shared by every scenario script: reads what the bench hands over in environment variables,
-- and writes wrk's summary as JSON so the bench never parses wrk's text output.
--
-- BENCH_TOKEN   bearer token (absent for FLOOR; an admin token for the event scenarios)
-- BENCH_ITEMS   file with one item per line (user ids, cursors, event ids), read by `items()`
-- BENCH_USERS   number of seeded users
-- BENCH_RUN     unique per wrk run, so created userNames never collide across runs
-- BENCH_RESULT  where `done` writes the JSON summary
-- BENCH_SCIM    the SCIM base path: /scim/v2, or a directory's /directories/{id}/scim/v2

local common = {}

common.users = tonumber(os.getenv("BENCH_USERS") or "0")
common.run = os.getenv("BENCH_RUN") or "0"
common.scim = os.getenv("BENCH_SCIM") or "/scim/v2"

local token = os.getenv("BENCH_TOKEN")
if token then
  wrk.headers["Authorization"] = "Bearer " .. token
end

-- Every thread has its own Lua state: seed each differently, or all would draw the same ids.
-- `done` reads what the threads counted (`op_failures`) through this list.
local next_thread = 0
local threads = {}
function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_id", next_thread)
  threads[#threads + 1] = thread
end

function init(args)
  math.randomseed(os.time() * 1000 + (thread_id or 0))
end

-- The items of BENCH_ITEMS. Call it at the top level of a script, which runs once in each
-- thread's Lua state.
function common.items()
  local path = assert(os.getenv("BENCH_ITEMS"), "BENCH_ITEMS is not set")
  local list = {}
  for line in io.lines(path) do
    list[#list + 1] = line
  end
  assert(#list > 0, "no items in " .. path)
  return list
end

function common.pick(list)
  return list[math.random(1, #list)]
end

-- wrk.format ignores wrk.headers when given headers of its own, so both go here.
function common.request(method, path, body)
  local headers = { ["Authorization"] = wrk.headers["Authorization"] }
  if body then
    headers["Content-Type"] = "application/scim+json"
  end
  return wrk.format(method, path, headers, body)
end

-- Counts the failed operations of a BulkResponse body in the thread's `op_failures` (a bulk
-- request answers 200 however many of its operations fail). A failed operation's status is
-- followed by its `response` (the SCIM error); a successful one's ends its object. Scripts of
-- bulk scenarios call it from wrk's `response` callback.
function common.count_failed_operations(body)
  local failed = 0
  for _ in string.gmatch(body, '"status":"%d+","response"') do
    failed = failed + 1
  end
  op_failures = (op_failures or 0) + failed
end

-- wrk counts a response as a status error when its status is above 399.
function done(summary, latency, requests)
  local e = summary.errors
  local op_failures = 0
  for _, thread in ipairs(threads) do
    op_failures = op_failures + (thread:get("op_failures") or 0)
  end
  local out = assert(io.open(assert(os.getenv("BENCH_RESULT")), "w"))
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d,"op_failures":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, e.status, op_failures))
  out:close()
end

return common
