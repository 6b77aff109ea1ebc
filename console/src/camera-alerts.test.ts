import { describe, expect, it } from 'vitest';
import type { Device } from './api-types';
import { cameraMovedSince } from './camera-alerts';

const SINCE = '2026-12-05T08:00:00.000Z';
const device = (cameras: NonNullable<NonNullable<Device['status']>['cameras']>): Pick<Device, 'status'> => ({
  status: { v: 1, deviceId: 'pole-1', state: 'online', at: SINCE, cameras },
});

describe('camera moved', () => {
  it('is read from the camera\'s alerts in the box\'s last status', () => {
    const d = device([{ cameraId: 'cam-1', state: 'connected' }, { cameraId: 'cam-2', state: 'connected', alerts: [{ kind: 'camera_moved', since: SINCE }] }]);
    expect(cameraMovedSince(d, 'cam-2')).toBe(SINCE);
    expect(cameraMovedSince(d, 'cam-1')).toBeNull();
    expect(cameraMovedSince(d, 'cam-9')).toBeNull();
  });

  it('is not there without a status or cameras', () => {
    expect(cameraMovedSince(undefined, 'cam-1')).toBeNull();
    expect(cameraMovedSince({ status: null }, 'cam-1')).toBeNull();
    expect(cameraMovedSince(device([{ cameraId: 'cam-1', state: 'connected', alerts: [] }]), 'cam-1')).toBeNull();
  });
});
