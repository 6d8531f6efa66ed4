-- args: fixture file, random seed.
local rows
function init(args)
  rows = read_lines(args[1])
  math.randomseed(tonumber(args[2]) + tid)
end

function request()
  return get_request(rows)
end
