-- bench/partners.lua — the wrk script of bench/run.sh.
--
--   wrk -t2 -c16 -d10s --latency -s bench/partners.lua http://127.0.0.1:PORT -- MODE DATAFILE
--
-- MODE     get     GET /v1/partners/{id}, cycling over many (tenant, partner) pairs
--          list    GET /v1/partners?limit=50, cycling over every tenant
--          create  POST /v1/partners with a unique name per request, cycling over tenants
-- DATAFILE a Lua file returning { {token = "koop_...", ids = {"uuid", ...}}, ... } (one entry per
--          tenant; run.sh writes it from the seeded database).
--
-- Each thread counts responses by status in a response() hook (set BENCH_STATUS_HOOK=0 to skip it:
-- wrk then does not buffer headers and bodies, and only summary.errors.status, statuses >= 400,
-- is counted). done() prints one line for run.sh:
--   BENCH requests=N duration_us=N rps=N p50_us=N p90_us=N p99_us=N max_us=N non2xx=N
--         err_connect=N err_read=N err_write=N err_status=N err_timeout=N statuses=200:N,...

local threads = {}
local next_tid = 1

function setup(thread)
	thread:set("tid", next_tid)
	next_tid = next_tid + 1
	threads[#threads + 1] = thread
end

-- per-thread state (each wrk thread has its own Lua state)
local mode
local reqs, nreq, pos = {}, 0, 0
local auths, nauth = {}, 0
local seq = 0
statuses = {}

local function shuffle(t)
	for i = #t, 2, -1 do
		local j = math.random(i)
		t[i], t[j] = t[j], t[i]
	end
end

function init(args)
	mode = args[1]
	local data = assert(dofile(args[2]), "no data in " .. tostring(args[2]))
	math.randomseed((tid or 1) * 7919 + os.time())
	for _, t in ipairs(data) do
		auths[#auths + 1] = "Bearer " .. t.token
	end
	nauth = #auths
	assert(nauth > 0, "no tokens in the data file")
	if mode == "get" then
		for _, t in ipairs(data) do
			for _, id in ipairs(t.ids) do
				reqs[#reqs + 1] = wrk.format("GET", "/v1/partners/" .. id,
					{ ["Authorization"] = "Bearer " .. t.token })
			end
		end
	elseif mode == "list" then
		for _, a in ipairs(auths) do
			reqs[#reqs + 1] = wrk.format("GET", "/v1/partners?limit=50", { ["Authorization"] = a })
		end
	elseif mode ~= "create" then
		error("MODE must be get, list or create, not " .. tostring(mode))
	end
	if mode ~= "create" then
		shuffle(reqs)
		nreq = #reqs
		assert(nreq > 0, "no requests built")
		pos = math.random(nreq) - 1
	end
	seq = 0
end

local body_fmt = '{"name":"Bench partner %d-%d","short_name":"BP%d","sector":"ngo",'
	.. '"address":{"street":"ul. Testowa","building":"%d","postal_code":"40-001","city":"Katowice"},'
	.. '"contacts":[{"name":"Jan Kowalski","role":"koordynator","email":"bench%d.%d@example.org"}]}'

function request()
	if mode == "create" then
		seq = seq + 1
		local body = string.format(body_fmt, tid, seq, seq % 100000, seq % 1000, tid, seq)
		return wrk.format("POST", "/v1/partners", {
			["Authorization"] = auths[seq % nauth + 1],
			["Content-Type"] = "application/json",
		}, body)
	end
	pos = pos % nreq + 1
	return reqs[pos]
end

if os.getenv("BENCH_STATUS_HOOK") ~= "0" then
	function response(status)
		statuses[status] = (statuses[status] or 0) + 1
	end
end

function done(summary, latency, requests)
	local agg, non2xx, parts = {}, 0, {}
	for _, t in ipairs(threads) do
		local s = t:get("statuses")
		if type(s) == "table" then
			for k, v in pairs(s) do
				agg[k] = (agg[k] or 0) + v
			end
		end
	end
	for k, v in pairs(agg) do
		parts[#parts + 1] = tostring(k) .. ":" .. tostring(v)
		if tonumber(k) < 200 or tonumber(k) > 299 then
			non2xx = non2xx + v
		end
	end
	table.sort(parts)
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format("BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d "
		.. "max_us=%d non2xx=%d err_connect=%d err_read=%d err_write=%d err_status=%d "
		.. "err_timeout=%d statuses=%s\n",
		summary.requests, summary.duration, secs > 0 and summary.requests / secs or 0,
		latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
		non2xx, e.connect, e.read, e.write, e.status, e.timeout,
		#parts > 0 and table.concat(parts, ",") or "none"))
end
