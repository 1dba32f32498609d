-- POST /api/v1/interactions/ as the AI backend sends them: an OpenAI usage object and a
-- fresh openai_response_id (the usage row's request_id) per request. Every 10th request
-- opens a new AI session; the others continue one of 8 sessions per thread.
-- Args (after the URL): API_KEY, ROUND (one digit, keeps ids unique across runs).
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end

local n, key, round = 0, "", 1
function init(args) key, round = args[1] or "", tonumber(args[2] or "1") end

local function uuid(kind, a, b)
  return string.format("%08x-%04x-4%03x-8%03x-%012x", 0x5e55 + kind, round, tid, a % 4096, b)
end

function request()
  n = n + 1
  local session = (n % 10 == 0) and uuid(1, 1, n) or uuid(0, 0, n % 8)
  local body = string.format('{"session_id":"%s","prompt":"Do you have running shoes in size 9?",'
    .. '"response":"Yes, the AirStride 2 in size 9 is in stock in blue and black.","model_used":"gpt-4o",'
    .. '"latency_ms":900,"openai_response_id":"chatcmpl-%d-%d-%d","usage":{"prompt_tokens":1200,'
    .. '"completion_tokens":300,"total_tokens":1500,"prompt_tokens_details":{"cached_tokens":1024}}}',
    session, round, tid, n)
  return wrk.format("POST", "/api/v1/interactions/",
    {["Content-Type"] = "application/json", ["X-API-Key"] = key}, body)
end
