-- 100 records of 100 bytes per request, as NDJSON, at the ack level in $SPILLWAY_ACK (memory when unset).
local line = '{"value":"' .. string.rep("x", 100) .. '"}\n'
wrk.method = "POST"
wrk.body = string.rep(line, 100)
wrk.headers["Content-Type"] = "application/x-ndjson"
local ack = os.getenv("SPILLWAY_ACK")
if ack and ack ~= "" then wrk.headers["X-Spillway-Ack"] = ack end
