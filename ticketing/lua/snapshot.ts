/**
 * One consistent read of a de-dup scope for openOrMerge: the scope's version (its lock word), the
 * order already holding the eventId, every open order in the scope with its raw JSON, and — when
 * a new order picks its officer — the open count of each of the team's officers (one round trip
 * instead of three).
 *
 * KEYS: open-orders zset of the scope, its version key, the eventId → orderId hash, [the team's
 * officers set].
 * ARGV: order key prefix (`<prefix>:wo:`), eventId, the team's load key prefix
 * (`<prefix>:wo-load:<team>:`, or '' for no counts).
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
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('GET', ARGV[1] .. id)
end
return out
`);
