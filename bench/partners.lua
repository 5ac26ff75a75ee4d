-- bench/partners.lua — the wrk script of bench/run.sh (every wrk case, not only partners).
--
--   wrk -t2 -c16 -d10s --latency -s bench/partners.lua http://127.0.0.1:PORT -- MODE DATAFILE [THREADS]
--
-- MODE     get         GET /v1/partners/{id}, cycling over many (tenant, partner) pairs
--          list        GET /v1/partners?limit=50, cycling over every tenant
--          create      POST /v1/partners with a unique name per request, cycling over tenants
--          search      GET /v1/services?q=WORD, cycling over every (tenant, word)
--          family_get  GET /v1/families/{id} as the tenant's social worker, cycling over families
--          referrals   GET /v1/referrals as the partner's staff, cycling over tenants
--          accept      POST /v1/referrals/{id}/transitions {"to":"accepted"} as the partner's staff:
--                      walks every referral of the data file once (tenants interleaved, so that
--                      concurrent requests are mostly in different tenants); wrk thread k of
--                      THREADS takes every THREADS-th one. A thread that runs out stops
--                      (wrk.thread:stop()) and the rate is taken over the walk's own duration.
-- DATAFILE a Lua file returning { {token = "koop_...", ids = {"uuid", ...}, q = {"word", ...}}, ... }
--          (one entry per tenant; ids: partners, families or referrals by MODE; q: search words);
--          run.sh writes it from the seeded database.
--
-- Each thread counts responses by status in a response() hook (set BENCH_STATUS_HOOK=0 to skip it:
-- wrk then does not buffer headers and bodies, and only summary.errors.status, statuses >= 400,
-- is counted; accept always counts). done() prints one line for run.sh:
--   BENCH requests=N duration_us=N rps=N p50_us=N p90_us=N p99_us=N max_us=N non2xx=N
--         err_connect=N err_read=N err_write=N err_status=N err_timeout=N statuses=200:N,...
--         [walk_us=N exhausted=N]   (accept: the walk's duration; threads that ran out)

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *ts);
]]
local tsbuf = ffi.new("bench_timespec")
local function now_us()
	ffi.C.clock_gettime(1, tsbuf) -- CLOCK_MONOTONIC, shared by every thread
	return tonumber(tsbuf.tv_sec) * 1000000 + tonumber(tsbuf.tv_nsec) / 1000
end

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
first_us, last_us, exhausted = 0, 0, 0

local function shuffle(t)
	for i = #t, 2, -1 do
		local j = math.random(i)
		t[i], t[j] = t[j], t[i]
	end
end

local accept_body = '{"to":"accepted"}'

function init(args)
	mode = args[1]
	if os.getenv("BENCH_STATUS_HOOK") == "0" and mode ~= "accept" then
		response = nil
	end
	local data = assert(dofile(args[2]), "no data in " .. tostring(args[2]))
	local nthreads = tonumber(args[3] or "1")
	math.randomseed((tid or 1) * 7919 + os.time())
	for _, t in ipairs(data) do
		auths[#auths + 1] = "Bearer " .. t.token
	end
	nauth = #auths
	assert(nauth > 0, "no tokens in the data file")
	if mode == "get" or mode == "family_get" then
		local prefix = mode == "get" and "/v1/partners/" or "/v1/families/"
		for _, t in ipairs(data) do
			for _, id in ipairs(t.ids) do
				reqs[#reqs + 1] = wrk.format("GET", prefix .. id, { ["Authorization"] = "Bearer " .. t.token })
			end
		end
	elseif mode == "list" or mode == "referrals" then
		local path = mode == "list" and "/v1/partners?limit=50" or "/v1/referrals"
		for _, a in ipairs(auths) do
			reqs[#reqs + 1] = wrk.format("GET", path, { ["Authorization"] = a })
		end
	elseif mode == "search" then
		for _, t in ipairs(data) do
			for _, w in ipairs(t.q) do
				reqs[#reqs + 1] = wrk.format("GET", "/v1/services?q=" .. w,
					{ ["Authorization"] = "Bearer " .. t.token })
			end
		end
	elseif mode == "accept" then
		-- tenants interleaved: the k-th referral of every tenant, then the (k+1)-th, ...
		local all, k, more = {}, 1, true
		while more do
			more = false
			for _, t in ipairs(data) do
				local id = t.ids[k]
				if id then
					more = true
					all[#all + 1] = wrk.format("POST", "/v1/referrals/" .. id .. "/transitions", {
						["Authorization"] = "Bearer " .. t.token,
						["Content-Type"] = "application/json",
					}, accept_body)
				end
			end
			k = k + 1
		end
		for i = tid or 1, #all, nthreads do
			reqs[#reqs + 1] = all[i]
		end
		nreq = #reqs
		assert(nreq > 0, "no referrals for this thread")
		pos = 0
		return
	elseif mode ~= "create" then
		error("MODE must be get, list, create, search, family_get, referrals or accept, not "
			.. tostring(mode))
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

local idle = nil -- sent once an accept walk is over, while the thread stops (never answered)

function request()
	if mode == "create" then
		seq = seq + 1
		local body = string.format(body_fmt, tid, seq, seq % 100000, seq % 1000, tid, seq)
		return wrk.format("POST", "/v1/partners", {
			["Authorization"] = auths[seq % nauth + 1],
			["Content-Type"] = "application/json",
		}, body)
	end
	if mode == "accept" then
		if pos >= nreq then
			if exhausted == 0 then
				exhausted = 1
				wrk.thread:stop()
			end
			idle = idle or wrk.format("GET", "/healthz")
			return idle
		end
		if pos == 0 then
			first_us = now_us()
		end
		pos = pos + 1
		return reqs[pos]
	end
	pos = pos % nreq + 1
	return reqs[pos]
end

-- (wrk asks whether there is a response() after init(): init drops it for BENCH_STATUS_HOOK=0)
function response(status)
	statuses[status] = (statuses[status] or 0) + 1
	last_us = now_us()
end

function done(summary, latency, requests)
	local agg, non2xx, parts = {}, 0, {}
	local t0, t1, ex = nil, nil, 0
	for _, t in ipairs(threads) do
		local s = t:get("statuses")
		if type(s) == "table" then
			for k, v in pairs(s) do
				agg[k] = (agg[k] or 0) + v
			end
		end
		local f, l = t:get("first_us"), t:get("last_us")
		if f and f > 0 and (not t0 or f < t0) then t0 = f end
		if l and l > 0 and (not t1 or l > t1) then t1 = l end
		ex = ex + (t:get("exhausted") or 0)
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
	local walk = ""
	if t0 and t1 and t1 > t0 then
		walk = string.format(" walk_us=%d exhausted=%d", t1 - t0, ex)
		-- a walk that ran out before the end: the rate over the walk itself
		if ex > 0 then secs = (t1 - t0) / 1e6 end
	end
	io.write(string.format("BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d "
		.. "max_us=%d non2xx=%d err_connect=%d err_read=%d err_write=%d err_status=%d "
		.. "err_timeout=%d statuses=%s%s\n",
		summary.requests, summary.duration, secs > 0 and summary.requests / secs or 0,
		latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
		non2xx, e.connect, e.read, e.write, e.status, e.timeout,
		#parts > 0 and table.concat(parts, ",") or "none", walk))
end
