-- wrk script for bench/portal.sh: GET one portal page (the URL given to
-- wrk) with the session cookie from COOKIE; counts answers that are not
-- 200 (an expired session would be a 303 and must not pass for a fast
-- page) and prints the latency percentiles in milliseconds.
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	bad = 0
	wrk.headers["Cookie"] = os.getenv("COOKIE")
end

function response(status, headers, body)
	if status ~= 200 then
		bad = bad + 1
	end
end

function done(summary, latency, requests)
	local b = 0
	for _, t in ipairs(threads) do
		b = b + t:get("bad")
	end
	io.write(string.format("RESULT requests %d bad %d p50 %.2f p95 %.2f p99 %.2f max %.2f\n",
		summary.requests, b, latency:percentile(50) / 1000,
		latency:percentile(95) / 1000, latency:percentile(99) / 1000,
		latency.max / 1000))
end
