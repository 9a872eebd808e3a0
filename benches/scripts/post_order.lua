-- wrk: POST /api/v1/orders, one line (a uniformly random book, quantity 1), paid at the
-- payment provider, with a customer's token and a fresh Idempotency-Key per request.
-- wrk -t2 -c64 -d15s -s post_order.lua http://127.0.0.1:8080 -- DIR   (ids.txt, token.txt)
local ids = {}
local token
local n = 0
local tag
function init(args)
  for line in io.lines(args[1] .. "/ids.txt") do
    if #line > 0 then ids[#ids + 1] = line end
  end
  local f = io.open(args[1] .. "/token.txt")
  token = f:read("*l")
  f:close()
  tag = tostring(ids):match("0x(%x+)") or tostring(math.random(1e9))
  math.randomseed(os.time() + tonumber(tag, 16) % 100000)
  tag = tag .. "-" .. tostring(os.time())
end
function request()
  n = n + 1
  -- As the load generator's shoppers buy: shipped standard within Germany, paid with the
  -- test card that always authorizes (localstripe knows it too).
  local body = '{"lines":[{"book_id":"' .. ids[math.random(#ids)] .. '","quantity":1}],'
    .. '"shipping_address":{"name":"Reader ' .. n .. '","line1":"1 Benchmark Street",'
    .. '"city":"Berlin","postal_code":"10115","country":"DE"},'
    .. '"shipping_option":"standard","payment_method":"pm_card_visa"}'
  return wrk.format("POST", "/api/v1/orders", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "wrk-" .. tag .. "-" .. n,
  }, body)
end
