-- POST /session/update with a random seeded token (tok + 40 digits, 1..100000) and a
-- small JSON Merge Patch, so every request changes metadata and slides the window.
math.randomseed(os.time())
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"metadata":{"cart":[%d,2,3],"step":%d}}', n % 9, n % 5)
  return wrk.format("POST", "/session/update", {
    ["Content-Type"] = "application/json",
    ["X-Session-Token"] = string.format("tok%040d", math.random(1, 100000)),
  }, body)
end
