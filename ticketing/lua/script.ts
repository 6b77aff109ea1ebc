/**
 * Runs a Lua script by EVALSHA, loading it with EVAL on NOSCRIPT (after a Redis restart or
 * failover). Done by hand rather than `defineCommand` so the shared ioredis client (also used by
 * BullMQ and others) is not given new methods.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../../common/redis.js';

export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

export function luaScript(name: string, lua: string): LuaScript {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

export async function runScript(redis: RedisClient, script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return redis.eval(script.lua, keys.length, ...keys, ...args);
  }
}
