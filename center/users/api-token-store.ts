/**
 * Users' own API tokens, in Redis: only the SHA-256 of each token is kept (a token is 256 random
 * bits, so no slow hash is needed). `<prefix>:api-token:<sha256>` names the owner and token id;
 * `<prefix>:api-tokens:<user>` lists the user's tokens (id → JSON). A token is shown once, when
 * it is created. Creating and revoking write their audit line in the same transaction.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '../../common/redis.js';
import { ulid } from 'ulid';
import { auditKey, MAX_AUDIT_LINES, type AuditLine } from '../audit/audit-log.js';

export interface ApiTokenInfo {
  id: string;
  label: string;
  createdAt: string;
}

interface Stored extends ApiTokenInfo {
  digest: string;
}

/** A recognisable prefix, so a leaked token is easy to grep for in logs and repositories. */
const TOKEN_PREFIX = 'swt_';
/** Per user: enough for every script they run, few enough that the list stays readable. */
export const MAX_TOKENS_PER_USER = 20;

const digestOf = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export class ApiTokenStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private tokenKey(digest: string): string {
    return `${this.prefix}:api-token:${digest}`;
  }

  private userKey(name: string): string {
    return `${this.prefix}:api-tokens:${name}`;
  }

  /** A new token for `name`; the answer is the only place the token itself ever appears. */
  async create(name: string, label: string, nowMs: number): Promise<ApiTokenInfo & { token: string } | null> {
    if ((await this.redis.hlen(this.userKey(name))) >= MAX_TOKENS_PER_USER) return null;
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const info: ApiTokenInfo = { id: ulid(nowMs), label, createdAt: new Date(nowMs).toISOString() };
    const digest = digestOf(token);
    const audit: AuditLine = { at: info.createdAt, by: name, action: 'api-token.created', subject: name, detail: { id: info.id, label } };
    await this.withAudit(audit, this.redis.multi()
      .hset(this.tokenKey(digest), { name, id: info.id })
      .hset(this.userKey(name), info.id, JSON.stringify({ ...info, digest } satisfies Stored)))
      .exec();
    return { ...info, token };
  }

  private withAudit(line: AuditLine, tx: ChainableCommander): ChainableCommander {
    return tx.lpush(auditKey(this.prefix), JSON.stringify(line)).ltrim(auditKey(this.prefix), 0, MAX_AUDIT_LINES - 1);
  }

  /** The user's tokens, oldest first, without the tokens. */
  async list(name: string): Promise<ApiTokenInfo[]> {
    return Object.values(await this.redis.hgetall(this.userKey(name)))
      .map((raw) => JSON.parse(raw) as Stored)
      .map(({ id, label, createdAt }) => ({ id, label, createdAt }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Revokes one of the user's tokens; false when they have no such token. */
  async revoke(name: string, id: string, nowMs: number): Promise<boolean> {
    const raw = await this.redis.hget(this.userKey(name), id);
    if (!raw) return false;
    const { digest, label } = JSON.parse(raw) as Stored;
    const audit: AuditLine = { at: new Date(nowMs).toISOString(), by: name, action: 'api-token.revoked', subject: name, detail: { id, label } };
    await this.withAudit(audit, this.redis.multi().del(this.tokenKey(digest)).hdel(this.userKey(name), id)).exec();
    return true;
  }

  /** The owner of a token, or null. */
  async owner(token: string): Promise<string | null> {
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    return this.redis.hget(this.tokenKey(digestOf(token)), 'name');
  }
}
