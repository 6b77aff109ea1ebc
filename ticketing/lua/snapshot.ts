/**
 * One consistent read of a de-dup scope for openOrMerge: the scope's version (its lock word), the
 * order already holding the eventId, and every open order in the scope with its raw JSON.
 *
 * KEYS: open-orders zset of the scope, its version key, the eventId → orderId hash.
 * ARGV: order key prefix (`<prefix>:wo:`), eventId.
 * Returns: [version|nil, eventOrderId|nil, eventOrderJson|nil, id1, json1, id2, json2, …].
 * Order keys are built in the script; they share the prefix's hash tag, so Redis Cluster keeps
 * them in the same slot (as BullMQ's scripts do).
 */
import { luaScript } from './script.js';

export const snapshotScript = luaScript('wo-snapshot', `
local ver = redis.call('GET', KEYS[2])
local evId = redis.call('HGET', KEYS[3], ARGV[2])
local evJson = false
if evId then evJson = redis.call('GET', ARGV[1] .. evId) end
local out = { ver, evId, evJson }
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('GET', ARGV[1] .. id)
end
return out
`);
