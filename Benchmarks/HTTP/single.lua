-- One 100-byte record per request.
wrk.method = "POST"
wrk.body = string.rep("x", 100)
wrk.headers["X-Spillway-Key"] = "bench"
