/**
 * Who may publish and subscribe where: pure functions over topic strings, no broker in sight.
 *
 * A device owns the levels under `<root>/<deviceId>/` except its `config/desired` and
 * `model/desired`, which the centre writes; it may read only its own config topics and its own
 * `model/desired`. The centre may use anything under the root, including MQTT 5 shared
 * subscriptions (`$share/<group>/<root>/...`). Everything else, `$SYS` included, is refused. Topics are compared level by level, never by string prefix, so `pole-1`
 * does not own `pole-10`.
 */
import { ID_PATTERN } from '../contract/index.js';

export type Identity = { kind: 'device'; deviceId: string } | { kind: 'center' };

const SHARE_PREFIX = '$share/';

/** MQTT forbids U+0000 in topic names and filters. */
const wellFormed = (topic: string): boolean => topic.length > 0 && !topic.includes('\u0000');

/**
 * A level a device may write under its prefix: what the contract allows for ids, minus `.` and
 * `..`, which ID_PATTERN accepts but which become path traversal wherever a level names a file
 * (evidence ids, camera ids).
 */
const deviceLevel = (level: string): boolean => ID_PATTERN.test(level) && level !== '.' && level !== '..';

/** Levels after `<root>/`, or null when the topic is not under the root (level-wise). */
function underRoot(topic: string, root: string): string[] | null {
  if (!topic.startsWith(`${root}/`)) return null;
  return topic.slice(root.length + 1).split('/');
}

/** A syntactically valid MQTT topic filter: `+` and `#` only as whole levels, `#` only last. */
function validFilter(levels: readonly string[]): boolean {
  return levels.every((level, i) => {
    if (level.includes('#')) return level === '#' && i === levels.length - 1;
    if (level.includes('+')) return level === '+';
    return true;
  });
}

/** What the centre tells a device: a device writing these could spoof the centre's word. */
const CENTER_WRITTEN = new Set(['config/desired', 'model/desired']);

const ownFilters = (root: string, deviceId: string): string[] => [
  `${root}/${deviceId}/config/desired`,
  `${root}/${deviceId}/config/+`,
  `${root}/${deviceId}/config/#`,
  // A model announcement carries a signed download link: only its own, and only that topic.
  `${root}/${deviceId}/model/desired`,
];

export function canPublish(identity: Identity, topic: string, root: string): boolean {
  if (!wellFormed(topic) || topic.includes('+') || topic.includes('#')) return false;
  const levels = underRoot(topic, root);
  if (!levels || levels.some((l) => l === '')) return false;
  if (identity.kind === 'center') return true;
  const [owner, ...rest] = levels;
  if (owner !== identity.deviceId || !deviceLevel(owner) || rest.length === 0) return false;
  if (!rest.every(deviceLevel)) return false;
  return !CENTER_WRITTEN.has(rest.join('/'));
}

export function canSubscribe(identity: Identity, topicFilter: string, root: string): boolean {
  if (!wellFormed(topicFilter)) return false;
  if (identity.kind === 'device') {
    return deviceLevel(identity.deviceId) && ownFilters(root, identity.deviceId).includes(topicFilter);
  }
  let filter = topicFilter;
  if (filter.startsWith(SHARE_PREFIX)) {
    const rest = filter.slice(SHARE_PREFIX.length);
    const slash = rest.indexOf('/');
    const group = slash > 0 ? rest.slice(0, slash) : '';
    if (!group || /[+#]/.test(group)) return false;
    filter = rest.slice(slash + 1);
  }
  const levels = underRoot(filter, root);
  return levels !== null && validFilter(levels);
}

/**
 * Whether a message on `topic` may be delivered to this identity: the last line of defence for
 * messages that reach a client without a fresh subscribe check (queued messages of a persistent
 * session, retained messages).
 */
export function canReceive(identity: Identity, topic: string, root: string): boolean {
  if (identity.kind === 'center') return underRoot(topic, root) !== null;
  const levels = underRoot(topic, root);
  if (levels === null || levels.length < 3 || levels[0] !== identity.deviceId) return false;
  return levels[1] === 'config' || (levels.length === 3 && levels[1] === 'model' && levels[2] === 'desired');
}

/** `$share/<group>/<filter>` → `<filter>`; any other filter unchanged. */
export function unshare(topicFilter: string): string {
  if (!topicFilter.startsWith(SHARE_PREFIX)) return topicFilter;
  const rest = topicFilter.slice(SHARE_PREFIX.length);
  const slash = rest.indexOf('/');
  return slash > 0 ? rest.slice(slash + 1) : topicFilter;
}

/**
 * What a broker asks about a topic: to publish on it, to subscribe to it (a filter), or to have a
 * message on it delivered (Mosquitto's plugins ask that for every message a subscriber gets).
 */
export type Access = 'publish' | 'subscribe' | 'receive';

export function mayAccess(identity: Identity, access: Access, topic: string, root: string): boolean {
  if (access === 'publish') return canPublish(identity, topic, root);
  if (access === 'subscribe') return canSubscribe(identity, topic, root);
  return canReceive(identity, topic, root);
}
