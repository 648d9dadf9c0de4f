-- wrk script: batches of 1,000 new events per POST.
local key = os.getenv("KEY")
local parts = {}
for i = 1, 1000 do
	parts[i] = string.format('{"event_type":"MESSAGE_DELIVERED","lead_id":"batch-%d","source":"bench-batch"}', i % 500)
end
wrk.method = "POST"
wrk.path = "/api/internal/log-activity"
wrk.body = "[" .. table.concat(parts, ",") .. "]"
wrk.headers["x-api-key"] = key
wrk.headers["Content-Type"] = "application/json"

function response(status, headers, body)
	if status ~= 201 then print("unexpected status " .. status) end
end
