-- POST one check-in-sized row to the floor app. args: random seed.
function init(args)
  math.randomseed(tonumber(args[1]) + tid)
end

function request()
  local r = function() return math.random(1, 5) end
  local body = string.format(
    '{"member_id":"mem_floor","openness":%d,"listening":%d,"vulnerability":%d,"support":%d,' ..
    '"safety":%d,"appreciation":%d,"quality_time":%d,"closeness":%d,' ..
    '"note":"We walked after dinner and talked about the week."}',
    r(), r(), r(), r(), r(), r(), r(), math.random(1, 7))
  return wrk.format("POST", "/insert", {["Content-Type"] = "application/json"}, body)
end
