-- One 100-byte record per request, at the ack level in $SPILLWAY_ACK (memory when unset).
wrk.method = "POST"
wrk.body = string.rep("x", 100)
wrk.headers["X-Spillway-Key"] = "bench"
local ack = os.getenv("SPILLWAY_ACK")
if ack and ack ~= "" then wrk.headers["X-Spillway-Ack"] = ack end
