-- 100 records of 100 bytes per request, as NDJSON.
local line = '{"value":"' .. string.rep("x", 100) .. '"}\n'
wrk.method = "POST"
wrk.body = string.rep(line, 100)
wrk.headers["Content-Type"] = "application/x-ndjson"
