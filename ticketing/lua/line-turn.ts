/**
 * A dispatch notice's turn in its line (one order's notices to one audience of one team, a list of
 * BullMQ job ids in the order queued), in one round trip. Ids ahead of the notice whose job has
 * finished (BullMQ's `finishedOn`, set when it completes or fails for good) or is gone are dropped
 * on the way: finished notices are never taken out by their worker, the next one's turn does it.
 * A line left holding only the notice now taking its turn gets the short hold TTL, so an idle
 * line expires instead of outliving its last notice by days.
 *
 * On its turn the notice's order is read in the same round trip (the delivery needs it next).
 *
 * KEYS: the line, the order's key.
 * ARGV: the job id, the queue's job key prefix (`<prefix>:dispatch:`), the hold TTL in ms.
 * Returns: {1, the order's JSON or nil} when no unfinished notice is ahead (or the id is not in
 * the line), else {0}.
 * Job keys are built in the script; they and the order's key share the prefix's hash tag (one
 * Redis Cluster slot).
 */
import { luaScript } from './script.js';

export const lineTurnScript = luaScript('dispatch-line-turn', `
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
for i, id in ipairs(ids) do
  if id == ARGV[1] then
    if i == #ids then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
    break
  end
  local job = redis.call('HMGET', ARGV[2] .. id, 'timestamp', 'finishedOn')
  if job[1] and not job[2] then return {0} end
  redis.call('LREM', KEYS[1], 0, id)
end
return {1, redis.call('GET', KEYS[2])}
`);
