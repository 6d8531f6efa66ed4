-- args: fixture file, first slot, threads, epoch seconds of today's UTC midnight.
local rows, base, threads, today, counter
function init(args)
  rows = read_lines(args[1])
  base, threads, today = tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  counter = 0
  math.randomseed(base + tid)
end

function request()
  local slot = base + tid + threads * counter
  counter = counter + 1
  return checkin_request(rows, slot, today)
end
