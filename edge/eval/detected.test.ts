import { describe, expect, it } from 'vitest';
import type { DetectionMessage } from '../../contract/index.js';
import { EdgePublisher, type OutMessage } from '../adapters/outbox.js';
import { detectedViolations } from './detected.js';

const T0 = Date.parse('2026-01-05T08:00:00.000Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

function message(eventId: string, state: DetectionMessage['state'], seq: number): DetectionMessage {
  return {
    v: 1, eventId, seq, deviceId: 'pole-1', cameraId: 'cam-1', zoneId: 'kerb', type: 'illegal_parking', state, label: 'car', confidence: 0.8,
    bbox: { x1: 0.1, y1: 0.2, x2: 0.3, y2: 0.4 }, firstSeenAt: iso(0), discoveredAt: iso(30), sentAt: iso(30), evidence: [],
    ...(state === 'ended' ? { endedAt: iso(75), reason: 'left' as const } : {}),
  };
}

describe('detectedViolations', () => {
  it('makes one violation per started message, seconds after the clip start, ended from its ended message', () => {
    const sent: OutMessage[] = [];
    const publisher = new EdgePublisher({ send: (m) => sent.push(m) }, 'streetwatch', 'pole-1');
    publisher.detection(message('01KDVDP79G3VVSFBCSFVJPP3AT', 'started', 0));
    publisher.evidence('cam-1', '01KDVDP79G6QSTC1H4T7QNY7CW', Buffer.from('jpeg'));
    publisher.detection(message('01KDVDQ4K01ERN7EXGQHSVFDJP', 'started', 0));
    publisher.detection(message('01KDVDP79G3VVSFBCSFVJPP3AT', 'updated', 1));
    publisher.detection(message('01KDVDP79G3VVSFBCSFVJPP3AT', 'ended', 2));
    expect(detectedViolations(sent, T0)).toEqual([
      { type: 'illegal_parking', zone: 'kerb', discoveredAt: 30, endedAt: 75, box: [0.1, 0.2, 0.3, 0.4] },
      { type: 'illegal_parking', zone: 'kerb', discoveredAt: 30, box: [0.1, 0.2, 0.3, 0.4] },
    ]);
  });
});
