-- wrk script for bench/http (adapted from ../shared/bench/http-peer/load.lua): one route per run.
--   wrk -t2 -c64 -d10s -s load.lua http://127.0.0.1:PORT -- KIND PATH [IDS_FILE]
-- KIND: get-id      GET PATH with "{id}" replaced by a random id from IDS_FILE (one a line)
--       get-status  GET PATH with "{status}" replaced by a random status
--       post-form   POST PATH, a random urlencoded item (1,000 bodies made up front)
-- Requests are formatted once in init(); request() only picks one, so wrk's own CPU per
-- request stays small. done() prints one line "WRKJSON {...}" (latencies in microseconds).

local reqs = {}
local n = 0
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

local FIRST = { "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken" }
local LAST = { "Lovelace", "Hopper", "Turing", "Liskov", "Knuth", "Allen", "Thompson", "Wirth" }
local STATUS = { "open", "paid", "shipped", "cancelled", "refunded" }
local TAGS = { "gift", "express", "fragile", "bulk", "b2b", "promo", "returning", "intl" }
local WORDS = { "please", "leave", "the", "parcel", "at", "side", "door", "ring", "twice",
  "before", "noon", "thanks", "invoice", "attached", "call", "on", "arrival", "weekend" }

local function pick(t) return t[math.random(#t)] end

local function form_body()
  local tags, note = {}, {}
  for i = 1, math.random(4) do tags[i] = pick(TAGS) end
  local len = 0
  while len < 160 do
    local w = pick(WORDS)
    note[#note + 1] = w
    len = len + #w + 1
  end
  local user = pick(FIRST) .. "+" .. pick(LAST) .. "+%23" .. math.random(99999)
  local amount = string.format("%d.%02d", math.random(0, 499), math.random(0, 99))
  return "user=" .. user .. "&status=" .. pick(STATUS) .. "&amount=" .. amount ..
    "&tags=" .. table.concat(tags, ",") .. "&note=" .. table.concat(note, "+")
end

function init(args)
  local kind, path, ids = args[1] or "get-id", args[2] or "/", args[3]
  math.randomseed(1000 + (tid or 0) * 7919 + os.time())
  if kind == "get-id" then
    local f = assert(io.open(ids, "r"), "cannot open ids file " .. tostring(ids))
    for id in f:lines() do
      if #id > 0 then
        n = n + 1
        reqs[n] = wrk.format("GET", (path:gsub("{id}", id)))
      end
    end
    f:close()
  elseif kind == "get-status" then
    for i, status in ipairs(STATUS) do
      reqs[i] = wrk.format("GET", (path:gsub("{status}", status)))
    end
    n = #STATUS
  elseif kind == "post-form" then
    local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
    for i = 1, 1000 do reqs[i] = wrk.format("POST", path, headers, form_body()) end
    n = 1000
  else
    error("unknown kind " .. tostring(kind))
  end
  assert(n > 0, "no requests prepared")
end

function request()
  return reqs[math.random(n)]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"mean":%.1f,"max":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.mean, latency.max))
end
