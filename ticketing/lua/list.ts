/**
 * One page of orders matching a filter, newest discovery first, with the total — atomically, so
 * the page and the total agree. Every index is a zset scored by discoveredAt (ms), so a union of
 * the state indexes intersected with the other indexes keeps that score.
 *
 * KEYS: a scratch key (deleted before returning), nStates state indexes, then the other indexes.
 * ARGV: order key prefix, nStates, min score, max score, offset, limit.
 * Returns: [total, id1, json1, id2, json2, …] (the ids name a record the store cannot read).
 */
import { luaScript } from './script.js';

export const listScript = luaScript('wo-list', `
local tmp = KEYS[1]
local nStates = tonumber(ARGV[2])
local src = nil
if nStates == 1 then
  src = KEYS[2]
elseif nStates > 1 then
  local args = { 'ZUNIONSTORE', tmp, nStates }
  for i = 2, 1 + nStates do args[#args + 1] = KEYS[i] end
  redis.call(unpack(args))
  src = tmp
end
local others = {}
for i = 2 + nStates, #KEYS do others[#others + 1] = KEYS[i] end
if src == nil then src = table.remove(others, 1) end
if #others > 0 then
  local args = { 'ZINTERSTORE', tmp, 1 + #others, src }
  for _, k in ipairs(others) do args[#args + 1] = k end
  args[#args + 1] = 'AGGREGATE'
  args[#args + 1] = 'MIN'
  redis.call(unpack(args))
  src = tmp
end
local total = redis.call('ZCOUNT', src, ARGV[3], ARGV[4])
local ids = redis.call('ZREVRANGEBYSCORE', src, ARGV[4], ARGV[3], 'LIMIT', ARGV[5], ARGV[6])
redis.call('DEL', tmp)
local out = { total }
for _, id in ipairs(ids) do
  local json = redis.call('GET', ARGV[1] .. id)
  if json then
    out[#out + 1] = id
    out[#out + 1] = json
  end
end
return out
`);
