/**
 * Guarded commit: the compare-and-set every work-order write goes through. Each guard names a key
 * and the SHA-1 of the value the caller read ('' for a missing key); if any value changed since,
 * nothing is written and the script returns 0, and the caller re-reads and decides again. So the
 * decisions (de-dup, transitions) stay in pure TypeScript and only this small script is atomic.
 *
 * KEYS: every key the commit touches (guards and ops refer to them by 1-based index).
 * ARGV: nGuards, then nGuards × (keyIndex, sha1), then ops of 4 slots each: op, keyIndex, a, b.
 * Ops: set k a | zadd k a(score) b(member) | zrem k a | sadd k a | hsetnx k a b | incr k |
 *      xadd k a (outbox entry: field a, value b) | geoadd k a("long,lat") b(member).
 *
 * Redis does not roll a script back when a command in it fails, so every op is checked before the
 * first write, and the outbox entry (the commit's side effects, ../outbox.ts) is written first:
 * if the order is written, its side effects are too.
 */
import { luaScript } from './script.js';

export const commitScript = luaScript('wo-commit', `
local n = tonumber(ARGV[1])
local i = 2
for _ = 1, n do
  local cur = redis.call('GET', KEYS[tonumber(ARGV[i])])
  local sha = ''
  if cur then sha = redis.sha1hex(cur) end
  if sha ~= ARGV[i + 1] then return 0 end
  i = i + 2
end
local first = i
local known = { set = true, zadd = true, zrem = true, sadd = true, hsetnx = true, incr = true, xadd = true, geoadd = true }
local function lonlat(a)
  local lon, lat = string.match(a, '^([^,]+),([^,]+)$')
  return tonumber(lon), tonumber(lat)
end
for j = first, #ARGV, 4 do
  if not known[ARGV[j]] then return redis.error_reply('wo-commit: unknown op ' .. tostring(ARGV[j])) end
  if KEYS[tonumber(ARGV[j + 1])] == nil then return redis.error_reply('wo-commit: no key ' .. tostring(ARGV[j + 1])) end
  if ARGV[j] == 'geoadd' then
    local lon, lat = lonlat(ARGV[j + 2])
    if not lon or not lat or math.abs(lon) > 180 or math.abs(lat) > 85.05112878 then return redis.error_reply('wo-commit: bad position ' .. ARGV[j + 2]) end
  end
end
for j = first, #ARGV, 4 do
  if ARGV[j] == 'xadd' then redis.call('XADD', KEYS[tonumber(ARGV[j + 1])], '*', ARGV[j + 2], ARGV[j + 3]) end
end
for j = first, #ARGV, 4 do
  local op, k, a, b = ARGV[j], KEYS[tonumber(ARGV[j + 1])], ARGV[j + 2], ARGV[j + 3]
  if op == 'set' then redis.call('SET', k, a)
  elseif op == 'zadd' then redis.call('ZADD', k, a, b)
  elseif op == 'zrem' then redis.call('ZREM', k, a)
  elseif op == 'sadd' then redis.call('SADD', k, a)
  elseif op == 'hsetnx' then redis.call('HSETNX', k, a, b)
  elseif op == 'incr' then redis.call('INCR', k)
  elseif op == 'geoadd' then
    local lon, lat = lonlat(a)
    redis.call('GEOADD', k, lon, lat, b)
  end
end
return 1
`);
