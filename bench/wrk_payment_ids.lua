-- wrk script: GET <prefix><id>, the ids read from a file (one a line), each thread taking its
-- own share in turn, so that concurrent requests (almost) never ask about the same id: the
-- service lets concurrent GetPaymentStatus calls for one id share one Stripe read.
-- Usage: wrk -t2 -c64 -d5s -s bench/wrk_payment_ids.lua http://127.0.0.1:PORT -- IDS PREFIX 2
local threads = 0

function setup(thread)
  thread:set("number", threads)
  threads = threads + 1
end

function init(args)
  local ids_file, thread_count = args[1], tonumber(args[3])
  prefix = args[2]
  mine = {}
  local index = 0
  for id in io.lines(ids_file) do
    if index % thread_count == number then
      mine[#mine + 1] = id
    end
    index = index + 1
  end
  turn = 0
end

function request()
  turn = turn % #mine + 1
  return wrk.format("GET", prefix .. mine[turn])
end
