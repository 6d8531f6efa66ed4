-- An evening's mix: 40% prompt lists, 30% connection reads, 30% check-ins.
-- args: prompts file, connection file, check-in file, first slot, threads, today (epoch).
local prompts, connection, writers, base, threads, today, counter
function init(args)
  prompts, connection, writers = read_lines(args[1]), read_lines(args[2]), read_lines(args[3])
  base, threads, today = tonumber(args[4]), tonumber(args[5]), tonumber(args[6])
  counter = 0
  math.randomseed(base + tid)
end

function request()
  local pick = math.random()
  if pick < 0.4 then
    return get_request(prompts)
  elseif pick < 0.7 then
    return get_request(connection)
  end
  local slot = base + tid + threads * counter
  counter = counter + 1
  return checkin_request(writers, slot, today)
end
