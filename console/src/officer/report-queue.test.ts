import { describe, expect, it } from 'vitest';
import { reportFields, type QueuedReport } from './report-queue';

const report = (over: Partial<QueuedReport> = {}): QueuedReport => ({
  id: '01KBSW0000000000000000TEST', type: 'street_vending', lat: 32.05, long: 118.78, plate: '', description: '', photo: new Blob(['x']), attempts: 0, notBefore: 0, ...over,
});

describe('report upload', () => {
  it('sends its own id with the type and place, and the optional fields only when given', () => {
    expect(reportFields(report())).toEqual([['reportId', '01KBSW0000000000000000TEST'], ['type', 'street_vending'], ['lat', '32.05'], ['long', '118.78']]);
    expect(reportFields(report({ plate: ' 苏A12345 ', description: 'Stall on the pavement\n' })).slice(4)).toEqual([['plate', '苏A12345'], ['description', 'Stall on the pavement']]);
    expect(reportFields(report({ plate: '   ' }))).toHaveLength(4);
  });
});
