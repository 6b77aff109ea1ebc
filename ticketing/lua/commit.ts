/**
 * Guarded commit: the compare-and-set every work-order write goes through. Each guard names a key
 * and the SHA-1 of the value the caller read ('' for a missing key); if any value changed since,
 * nothing is written and the script returns 0, and the caller re-reads and decides again. So the
 * decisions (de-dup, transitions) stay in pure TypeScript and only this small script is atomic.
 *
 * KEYS: every key the commit touches (guards and ops refer to them by 1-based index).
 * ARGV: nGuards, then nGuards × (keyIndex, sha1), then ops of 4 slots each: op, keyIndex, a, b.
 * Ops: set k a | zadd k a(score) b(member) | zrem k a | sadd k a | hsetnx k a b | incr k.
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
while i <= #ARGV do
  local op, k, a, b = ARGV[i], KEYS[tonumber(ARGV[i + 1])], ARGV[i + 2], ARGV[i + 3]
  if op == 'set' then redis.call('SET', k, a)
  elseif op == 'zadd' then redis.call('ZADD', k, a, b)
  elseif op == 'zrem' then redis.call('ZREM', k, a)
  elseif op == 'sadd' then redis.call('SADD', k, a)
  elseif op == 'hsetnx' then redis.call('HSETNX', k, a, b)
  elseif op == 'incr' then redis.call('INCR', k)
  else return redis.error_reply('wo-commit: unknown op ' .. tostring(op)) end
  i = i + 4
end
return 1
`);
