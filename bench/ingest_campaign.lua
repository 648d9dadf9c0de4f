-- wrk script: MESSAGE_SENT events for leads bench-1 … bench-100000 of the
-- default client, which bench/deenroll.sh enrolled in "Bench drip" (10
-- steps). CAMPAIGN=1 sends each with its campaign and step, so every event
-- moves its lead one step (the progress trigger's work); CAMPAIGN=0 sends
-- the same events without them (no campaign work). BATCH=N sends N events
-- per POST (default 1). KEY is the x-api-key.
local key = os.getenv("KEY")
local campaign = os.getenv("CAMPAIGN") == "1"
local batch = tonumber(os.getenv("BATCH") or "1")
local threads = 0

function setup(thread)
	thread:set("tid", threads)
	threads = threads + 1
end

-- Thread t sends for leads of its own parity, each lead once per sweep of
-- 50,000, one step further each sweep: a step never goes back.
local counter = 0
local function event()
	local lead = (counter % 50000) * 2 + tid + 1
	local step = math.min(math.floor(counter / 50000) + 1, 10)
	counter = counter + 1
	if campaign then
		return string.format('{"event_type":"MESSAGE_SENT","lead_id":"bench-%d","source":"bench","message":"step %d","metadata":{"campaign":"Bench drip","step":%d}}', lead, step, step)
	end
	return string.format('{"event_type":"MESSAGE_SENT","lead_id":"bench-%d","source":"bench","message":"step %d"}', lead, step)
end

function request()
	local body
	if batch == 1 then
		body = event()
	else
		local parts = {}
		for i = 1, batch do parts[i] = event() end
		body = "[" .. table.concat(parts, ",") .. "]"
	end
	return wrk.format("POST", "/api/internal/log-activity",
		{ ["x-api-key"] = key, ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
	if status ~= 201 and status ~= 200 then
		print("unexpected status " .. status .. ": " .. body)
	end
end
