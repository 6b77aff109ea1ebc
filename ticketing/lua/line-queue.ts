/**
 * Queues a batch of dispatch notices into their lines (lists of job ids, see dispatcher.ts) in one
 * command, in the order given, each line then kept for the TTL: a drained outbox batch of n
 * notices costs one command instead of an RPUSH and a PEXPIRE per notice.
 *
 * KEYS: the distinct lines.
 * ARGV: the TTL in ms, then per notice: the 1-based index of its line in KEYS, its job id.
 */
import { luaScript } from './script.js';

export const lineQueueScript = luaScript('dispatch-line-queue', `
for i = 2, #ARGV, 2 do
  redis.call('RPUSH', KEYS[tonumber(ARGV[i])], ARGV[i + 1])
end
for _, key in ipairs(KEYS) do
  redis.call('PEXPIRE', key, ARGV[1])
end
return #KEYS
`);
