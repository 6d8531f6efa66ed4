-- Shared by every scenario (the driver prepends it to the scenario's script): fixture files,
-- the request builders, thread ids, and a summary printed as one JSON line.
local threads_started = 0
function setup(thread)
  thread:set("tid", threads_started)
  threads_started = threads_started + 1
end

-- Rows of a tab-separated file.
function read_lines(path)
  local rows = {}
  for line in io.lines(path) do
    local fields = {}
    for value in (line .. "\t"):gmatch("([^\t]*)\t") do
      fields[#fields + 1] = value
    end
    rows[#rows + 1] = fields
  end
  return rows
end

-- GET a random row's path; rows are "authorization<TAB>path", an empty authorization sends none.
function get_request(rows)
  local row = rows[math.random(#rows)]
  if row[1] ~= "" then
    return wrk.format("GET", row[2], {["Authorization"] = row[1]})
  end
  return wrk.format("GET", row[2])
end

-- POST a check-in with a secret key acting for a member, an Idempotency-Key and a note (which
-- is encrypted). Rows are "authorization<TAB>couple_id<TAB>member_id". Each slot is its own
-- (member, day): member = slot mod #rows, days back = 1 + slot div #rows, so requests whose
-- slots differ never ask for the same day.
function checkin_request(rows, slot, today)
  local row = rows[(slot % #rows) + 1]
  local day = os.date("!%Y-%m-%d", today - 86400 * (1 + math.floor(slot / #rows)))
  local r = function() return math.random(1, 5) end
  local body = string.format(
    '{"member_id":"%s","local_date":"%s","ratings":{"openness":%d,"listening":%d,' ..
    '"vulnerability":%d,"support":%d,"safety":%d,"appreciation":%d,"quality_time":%d},' ..
    '"closeness":%d,"moments":["quality_time","felt_heard"],' ..
    '"note":"We walked after dinner and talked about the week.","note_visibility":"private"}',
    row[3], day, r(), r(), r(), r(), r(), r(), r(), math.random(1, 7))
  return wrk.format("POST", "/v1/couples/" .. row[2] .. "/check-ins", {
    ["Authorization"] = row[1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("bench-%d", slot),
  }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"non_2xx":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
