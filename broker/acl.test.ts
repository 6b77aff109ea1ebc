import { describe, expect, it } from 'vitest';
import { canPublish, canReceive, canSubscribe, mayAccess, unshare, type Identity } from './acl.js';
import { centerSubscriptions, topics } from '../contract/index.js';

const root = 'streetwatch/v1';
const pole1: Identity = { kind: 'device', deviceId: 'pole-1' };
const center: Identity = { kind: 'center' };

describe('canPublish, device', () => {
  it('allows every topic of its own in the contract layout', () => {
    for (const topic of [
      topics.status(root, 'pole-1'),
      topics.telemetry(root, 'pole-1'),
      topics.detections(root, 'pole-1', 'cam-a'),
      topics.evidence(root, 'pole-1', 'cam-a', '01JD0000000000000000000000'),
      topics.sensor(root, 'pole-1', 'bay_3'),
      topics.configReported(root, 'pole-1'),
      topics.modelReported(root, 'pole-1'),
    ]) {
      expect(canPublish(pole1, topic, root), topic).toBe(true);
    }
  });

  it('allows unknown kinds under its prefix (the ingest dead-letters them)', () => {
    expect(canPublish(pole1, `${root}/pole-1/something/new`, root)).toBe(true);
  });

  it("refuses the centre's desired config, even its own", () => {
    expect(canPublish(pole1, topics.configDesired(root, 'pole-1'), root)).toBe(false);
    expect(canPublish(pole1, `${root}/pole-1/config/desired/x`, root)).toBe(true); // not the desired topic itself
  });

  it("refuses the centre's model announcement, even its own (it carries a download link)", () => {
    expect(canPublish(pole1, topics.modelDesired(root, 'pole-1'), root)).toBe(false);
    expect(canPublish(pole1, topics.modelDesired(root, 'pole-2'), root)).toBe(false);
  });

  it("refuses another device's prefix, including one it is a string prefix of", () => {
    expect(canPublish(pole1, topics.status(root, 'pole-2'), root)).toBe(false);
    expect(canPublish(pole1, topics.status(root, 'pole-10'), root)).toBe(false);
    expect(canPublish({ kind: 'device', deviceId: 'pole-10' }, topics.status(root, 'pole-1'), root)).toBe(false);
    expect(canPublish(pole1, `${root}/pole-1x/status`, root)).toBe(false);
  });

  it('refuses dot levels, empty levels and the bare prefix', () => {
    expect(canPublish(pole1, `${root}/pole-1/../pole-2`, root)).toBe(false);
    expect(canPublish(pole1, `${root}/pole-1/../pole-2/status`, root)).toBe(false);
    expect(canPublish(pole1, `${root}/pole-1/./status`, root)).toBe(false);
    expect(canPublish(pole1, `${root}/pole-1//status`, root)).toBe(false);
    expect(canPublish(pole1, `${root}/pole-1/status/`, root)).toBe(false);
    expect(canPublish(pole1, `${root}/pole-1`, root)).toBe(false);
    expect(canPublish(pole1, `${root}/pole-1/`, root)).toBe(false);
    expect(canPublish(pole1, `${root}/pole-1/cam a/detections`, root)).toBe(false);
  });

  it('refuses wildcards, other roots, $SYS, $share and NUL', () => {
    expect(canPublish(pole1, `${root}/pole-1/+`, root)).toBe(false);
    expect(canPublish(pole1, `${root}/pole-1/#`, root)).toBe(false);
    expect(canPublish(pole1, `${root}/pole-1/a+b`, root)).toBe(false);
    expect(canPublish(pole1, `streetwatch/v2/pole-1/status`, root)).toBe(false);
    expect(canPublish(pole1, `${root}x/pole-1/status`, root)).toBe(false);
    expect(canPublish(pole1, `pole-1/status`, root)).toBe(false);
    expect(canPublish(pole1, `$SYS/broker/pole-1`, root)).toBe(false);
    expect(canPublish(pole1, `$share/g/${root}/pole-1/status`, root)).toBe(false);
    expect(canPublish(pole1, `${root}/pole-1/status\u0000`, root)).toBe(false);
    expect(canPublish(pole1, '', root)).toBe(false);
  });

  it("refuses the centre's team topics", () => {
    expect(canPublish(pole1, topics.teamOrders(root, 'north'), root)).toBe(false);
  });

  it('refuses a device whose id is not a valid level', () => {
    expect(canPublish({ kind: 'device', deviceId: '..' }, `${root}/../status`, root)).toBe(false);
    expect(canPublish({ kind: 'device', deviceId: '' }, `${root}//status`, root)).toBe(false);
  });
});

describe('canPublish, centre', () => {
  it('allows anything under the root, nothing elsewhere, no wildcards', () => {
    expect(canPublish(center, topics.configDesired(root, 'pole-1'), root)).toBe(true);
    expect(canPublish(center, topics.teamOrders(root, 'north'), root)).toBe(true);
    expect(canPublish(center, `${root}/pole-1/+`, root)).toBe(false);
    expect(canPublish(center, `${root}/#`, root)).toBe(false);
    expect(canPublish(center, `other/pole-1/status`, root)).toBe(false);
    expect(canPublish(center, `$SYS/x`, root)).toBe(false);
    expect(canPublish(center, root, root)).toBe(false);
  });
});

describe('canSubscribe, device', () => {
  it('allows only its own config topics', () => {
    expect(canSubscribe(pole1, topics.configDesired(root, 'pole-1'), root)).toBe(true);
    expect(canSubscribe(pole1, `${root}/pole-1/config/#`, root)).toBe(true);
    expect(canSubscribe(pole1, `${root}/pole-1/config/+`, root)).toBe(true);
  });

  it('allows its own model announcement, and no wider model filter', () => {
    expect(canSubscribe(pole1, topics.modelDesired(root, 'pole-1'), root)).toBe(true);
    expect(canSubscribe(pole1, topics.modelDesired(root, 'pole-10'), root)).toBe(false);
    for (const f of [`${root}/pole-1/model/#`, `${root}/pole-1/model/+`, `${root}/+/model/desired`]) {
      expect(canSubscribe(pole1, f, root), f).toBe(false);
    }
  });

  it("refuses another device's config, including pole-10 for pole-1", () => {
    expect(canSubscribe(pole1, topics.configDesired(root, 'pole-2'), root)).toBe(false);
    expect(canSubscribe(pole1, topics.configDesired(root, 'pole-10'), root)).toBe(false);
    expect(canSubscribe({ kind: 'device', deviceId: 'pole-10' }, topics.configDesired(root, 'pole-1'), root)).toBe(false);
  });

  it('refuses wildcards that reach beyond its config', () => {
    for (const f of [
      `${root}/+/config/desired`,
      `${root}/pole-1/#`,
      `${root}/pole-1/+/desired`,
      `${root}/#`,
      '#',
      '+/+/pole-1/config/desired',
      `${root}/pole-1/config/desired/#`,
      `${root}/pole-1/status`,
      `$SYS/#`,
    ]) {
      expect(canSubscribe(pole1, f, root), f).toBe(false);
    }
  });

  it('refuses $share and dot tricks', () => {
    expect(canSubscribe(pole1, `$share/g/${root}/pole-1/config/desired`, root)).toBe(false);
    expect(canSubscribe(pole1, `${root}/pole-1/../pole-2/config/desired`, root)).toBe(false);
  });
});

describe('canSubscribe, centre', () => {
  it("allows the centre's subscriptions, plain and shared", () => {
    for (const f of centerSubscriptions(root)) {
      expect(canSubscribe(center, f, root), f).toBe(true);
      expect(canSubscribe(center, `$share/ingest/${f}`, root), f).toBe(true);
    }
    expect(canSubscribe(center, `${root}/#`, root)).toBe(true);
  });

  it('refuses filters outside the root and malformed filters', () => {
    for (const f of [
      '#',
      '+/v1/pole-1/status',
      'streetwatch/+/pole-1/status',
      '$SYS/#',
      `${root}x/#`,
      `${root}/a#`,
      `${root}/#/status`,
      `${root}/a+/status`,
      `$share//${root}/#`,
      `$share/g+/${root}/#`,
      `$share/g`,
      `$share/g/#`,
    ]) {
      expect(canSubscribe(center, f, root), f).toBe(false);
    }
  });
});

describe('canReceive', () => {
  it('lets a device receive only its own config topics', () => {
    expect(canReceive(pole1, topics.configDesired(root, 'pole-1'), root)).toBe(true);
    expect(canReceive(pole1, topics.configDesired(root, 'pole-10'), root)).toBe(false);
    expect(canReceive(pole1, topics.status(root, 'pole-1'), root)).toBe(false);
    expect(canReceive(pole1, topics.detections(root, 'pole-2', 'cam'), root)).toBe(false);
  });

  it('lets a device receive its own model announcement, not another\'s', () => {
    expect(canReceive(pole1, topics.modelDesired(root, 'pole-1'), root)).toBe(true);
    expect(canReceive(pole1, topics.modelDesired(root, 'pole-10'), root)).toBe(false);
    expect(canReceive(pole1, topics.modelReported(root, 'pole-1'), root)).toBe(false);
    expect(canReceive(pole1, `${root}/pole-1/model/desired/x`, root)).toBe(false);
  });

  it('lets the centre receive anything under the root', () => {
    expect(canReceive(center, topics.detections(root, 'pole-2', 'cam'), root)).toBe(true);
    expect(canReceive(center, '$SYS/x/heartbeat', root)).toBe(false);
  });
});

describe('unshare', () => {
  it('strips the share group only', () => {
    expect(unshare(`$share/ingest/${root}/+/status`)).toBe(`${root}/+/status`);
    expect(unshare(`${root}/+/status`)).toBe(`${root}/+/status`);
  });
});

describe('a root of one level', () => {
  it('works the same', () => {
    expect(canPublish(pole1, 'sw/pole-1/status', 'sw')).toBe(true);
    expect(canPublish(pole1, 'sw/pole-10/status', 'sw')).toBe(false);
    expect(canSubscribe(pole1, 'sw/pole-1/config/desired', 'sw')).toBe(true);
  });
});

describe('mayAccess', () => {
  it('asks canPublish, canSubscribe or canReceive, by the access an external broker asks about', () => {
    const own = topics.configDesired(root, 'pole-1');
    expect([mayAccess(pole1, 'publish', own, root), mayAccess(pole1, 'subscribe', own, root), mayAccess(pole1, 'receive', own, root)]).toEqual([false, true, true]);
    const detections = topics.detections(root, 'pole-1', 'cam-a');
    expect([mayAccess(pole1, 'publish', detections, root), mayAccess(pole1, 'subscribe', detections, root), mayAccess(pole1, 'receive', detections, root)]).toEqual([true, false, false]);
    expect(mayAccess(center, 'subscribe', `$share/g/${root}/#`, root)).toBe(true);
  });
});
