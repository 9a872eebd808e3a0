-- wrk: GET /api/v1/books/{id} of a uniformly random book.
-- wrk -t2 -c64 -d15s -s get_book.lua http://127.0.0.1:8080 -- DIR   (DIR/ids.txt from `loadgen wrk-prep`)
local ids = {}
function init(args)
  for line in io.lines(args[1] .. "/ids.txt") do
    if #line > 0 then ids[#ids + 1] = line end
  end
  math.randomseed(os.time() + tonumber(tostring(ids):match("0x(%x+)") or "0", 16) % 100000)
end
function request()
  return wrk.format("GET", "/api/v1/books/" .. ids[math.random(#ids)])
end
