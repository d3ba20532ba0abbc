-- tiergate: one key's RPM and TPM token buckets and its concurrency leases, atomically, in one round trip.
-- KEYS[1] hash {r = requests left, t = tokens left, ts = last update ms}; KEYS[2] sorted set of leases by expiry.
-- ARGV: mode ('a' admit | 'f' finish), rpm, tpm, maxConcurrent, n (tokens to charge | token delta), lease id, lease ms.
-- Time is Redis's own, so replicas with different clocks share one window.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rpm = tonumber(ARGV[2])
local tpm = tonumber(ARGV[3])
local conc = tonumber(ARGV[4])
local n = tonumber(ARGV[5])
local s = redis.call('HMGET', KEYS[1], 'r', 't', 'ts')
local r = tonumber(s[1])
local tk = tonumber(s[2])
local ts = tonumber(s[3])
if ts == nil then
  r = rpm
  tk = tpm
  ts = now
end
local el = now - ts
if el < 0 then el = 0 end
if rpm > 0 then r = math.min(rpm, (r or rpm) + el * rpm / 60000) else r = 0 end
if tpm > 0 then tk = math.min(tpm, (tk or tpm) + el * tpm / 60000) else tk = 0 end
if ARGV[1] == 'f' then
  if conc > 0 then redis.call('ZREM', KEYS[2], ARGV[6]) end
  if tpm > 0 then tk = math.min(tpm, tk - n) end
  redis.call('HSET', KEYS[1], 'r', tostring(r), 't', tostring(tk), 'ts', now)
  redis.call('PEXPIRE', KEYS[1], 120000)
  return 0
end
local reason = 0
local wait = 0
local active = 0
if conc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  active = redis.call('ZCARD', KEYS[2])
end
if rpm > 0 and r < 1 then
  reason = 1
  wait = (1 - r) * 60000 / rpm
elseif tpm > 0 and n > tpm then
  reason = 4
  wait = 60000
elseif tpm > 0 and tk < n then
  reason = 2
  wait = (n - tk) * 60000 / tpm
elseif conc > 0 and active >= conc then
  reason = 3
  wait = 1000
end
if reason == 0 then
  if rpm > 0 then r = r - 1 end
  if tpm > 0 then tk = tk - n end
  if conc > 0 then
    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[7]), ARGV[6])
    redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[7]))
  end
end
redis.call('HSET', KEYS[1], 'r', tostring(r), 't', tostring(tk), 'ts', now)
redis.call('PEXPIRE', KEYS[1], 120000)
local rr = 0
local rt = 0
if rpm > 0 then rr = (rpm - r) * 60000 / rpm end
if tpm > 0 then rt = (tpm - tk) * 60000 / tpm end
return {reason, math.ceil(wait), math.floor(math.max(0, r)), math.ceil(rr), math.floor(math.max(0, tk)), math.ceil(rt)}
