/**
 * One consistent read of a de-dup scope for openOrMerge: the scope's version (its lock word), the
 * order already holding the eventId, the scope's open orders with their raw JSON (all of them, or
 * for a place-indexed scope only those within a radius: a city's thousands stay unread), and — when
 * a new order picks its officer — the open count of each of the team's officers (one round trip
 * instead of three).
 *
 * KEYS: open-orders zset (or GEO set) of the scope, its version key, the eventId → orderId hash,
 * [the team's officers set].
 * ARGV: order key prefix (`<prefix>:wo:`), eventId, the team's load key prefix
 * (`<prefix>:wo-load:<team>:`, or '' for no counts), which orders: 'all' | 'none' |
 * 'near' long lat radiusMetres (GEOSEARCH of a GEO set).
 * Returns: [version|nil, eventOrderId|nil, eventOrderJson|nil, [name1, count1, …], id1, json1, …].
 * Order keys are built in the script; they share the prefix's hash tag, so Redis Cluster keeps
 * them in the same slot (as BullMQ's scripts do).
 */
import { luaScript } from './script.js';

export const snapshotScript = luaScript('wo-snapshot', `
local ver = redis.call('GET', KEYS[2])
local evId = redis.call('HGET', KEYS[3], ARGV[2])
local evJson = false
if evId then evJson = redis.call('GET', ARGV[1] .. evId) end
local loads = {}
if ARGV[3] ~= '' then
  for _, name in ipairs(redis.call('SMEMBERS', KEYS[4])) do
    loads[#loads + 1] = name
    loads[#loads + 1] = redis.call('ZCARD', ARGV[3] .. name)
  end
end
local out = { ver, evId, evJson, loads }
local ids = {}
if ARGV[4] == 'all' then ids = redis.call('ZRANGE', KEYS[1], 0, -1)
elseif ARGV[4] == 'near' then ids = redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', ARGV[5], ARGV[6], 'BYRADIUS', ARGV[7], 'm') end
for _, id in ipairs(ids) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('GET', ARGV[1] .. id)
end
return out
`);
