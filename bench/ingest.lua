-- wrk script: single-event POSTs to /api/internal/log-activity, each a new
-- event for one of 100,000 leads, as an n8n HTTP Request node sends them.
-- Set KEY (the x-api-key) and CLOSE=1 for a new connection per request.
local counter = 0
local key = os.getenv("KEY")
local close = os.getenv("CLOSE") == "1"

function setup(thread)
	thread:set("id", tostring(thread):sub(-6))
end

function request()
	counter = counter + 1
	local body = string.format(
		'{"event_type":"MESSAGE_SENT","lead_id":"bench-%d","source":"bench","message":"hello from wrk"}',
		math.random(1, 100000))
	local headers = { ["x-api-key"] = key, ["Content-Type"] = "application/json" }
	if close then headers["Connection"] = "close" end
	return wrk.format("POST", "/api/internal/log-activity", headers, body)
end

function response(status, headers, body)
	if status ~= 201 and status ~= 200 then
		print("unexpected status " .. status .. ": " .. body)
	end
end
