/** The metrics writer against a real VictoriaMetrics (InfluxDB v2 write API), a dead URL and a hanging server. */
import { createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startVictoriaMetrics, victoriaMetricsAvailable, type VictoriaMetricsHandle } from '../../test/helpers/victoria-metrics.js';
import { detection, telemetry, waitFor } from '../ingest/test-fixtures.js';
import { createMetricsWriter, InfluxMetricsWriter } from './influx-writer.js';
import { detectionPoint, NoopMetricsWriter, orderEventPoint, Point, telemetryPoints } from './points.js';

const points = (n: number, device = 'pole-x') =>
  Array.from({ length: n }, (_, i) => new Point('edge_camera').tag('device', device).tag('camera', `cam-${i % 3}`).floatField('fps', i).timestamp(new Date(Date.now() - n + i)));

describe('point helpers', () => {
  it('name measurements, tags and fields as dashboards expect', () => {
    const lines = telemetryPoints(telemetry('pole-1')).map((p) => p.toLineProtocol()?.replace(/ \d+$/, ''));
    expect(lines).toEqual([
      'edge_camera,camera=cam-1,device=pole-1 connected=1i,decode_cpu_percent=8.5,dropped_frames=2i,fps=12.5,inference_ms=31.5,open_detections=1i,skipped_frames=40i',
      'edge_camera,camera=cam-2,device=pole-1 connected=0i,dropped_frames=7i,fps=0,inference_ms=0,open_detections=0i,skipped_frames=0i',
      'edge_zone_model,camera=cam-1,device=pole-1,model=stalls detections=4i,inference_ms=12.5,runs=6i',
      'edge_system,device=pole-1 cpu_percent=42.5,disk_free_mb=20000,load_avg1=0.7,mem_free_mb=512,rss_mb=180,spool_bytes=4096i,spool_dropped=0i,spool_messages=3i,uptime_seconds=3600',
    ]);
    expect(detectionPoint(detection('pole-1', 'cam-1')).toLineProtocol()).toMatch(/^detection,camera=cam-1,device=pole-1,state=started,type=illegal_parking,zone=kerb-1 confidence=0.83 \d+$/);
    const order = { type: 'street_vending' as const, team: 'north', deviceId: 'pole-1', cameraId: 'cam-1', discoveredAt: '2026-11-26T08:00:00.000Z' };
    expect(orderEventPoint({ order, from: 'dispatched', to: 'accepted', at: '2026-11-26T08:12:30.000Z' }).toLineProtocol()).toBe(
      `work_order,camera=cam-1,device=pole-1,from=dispatched,state=accepted,team=north,type=street_vending seconds=750 ${Date.parse('2026-11-26T08:12:30.000Z')}000000`,
    );
  });

  it('a no-op writer stands in when no InfluxDB is configured', async () => {
    const w = createMetricsWriter(undefined);
    expect(w).toBeInstanceOf(NoopMetricsWriter);
    w.write(points(3));
    await w.close();
    expect(w.stats()).toEqual({ written: 0, buffered: 0, dropped: 0, failures: 0 });
  });
});

describe.skipIf(!victoriaMetricsAvailable())('InfluxMetricsWriter', () => {
  let vm: VictoriaMetricsHandle;
  beforeAll(async () => {
    vm = await startVictoriaMetrics();
  });
  afterAll(async () => {
    await vm?.stop();
  });

  it('writes points that can be queried back from VictoriaMetrics', async () => {
    const w = new InfluxMetricsWriter({ url: vm.url, org: 'streetwatch', bucket: 'edge', token: 'any', flushIntervalMs: 50 });
    const t = telemetry('pole-vm1');
    const d = detection('pole-vm1', 'cam-1');
    const order = { type: 'illegal_parking' as const, team: 'north', deviceId: 'pole-vm1', cameraId: 'cam-1', discoveredAt: new Date(Date.now() - 120_000).toISOString() };
    w.write(telemetryPoints(t));
    w.write(detectionPoint(d));
    w.write(orderEventPoint({ order, from: null, to: 'dispatched', at: Date.now() }));
    // No flush(): the flush interval sends them.
    await waitFor(() => w.stats().written === 6, 'points written');
    expect(w.stats()).toEqual({ written: 6, buffered: 0, dropped: 0, failures: 0 });

    const fps = await vm.waitFor(async () => {
      const r = await vm.query('edge_camera_fps{device="pole-vm1"}');
      return r.length === 2 ? r : undefined;
    });
    expect(Object.fromEntries(fps.map((s) => [s.metric.camera, Number(s.value[1])]))).toEqual({ 'cam-1': 12.5, 'cam-2': 0 });
    expect((await vm.query('edge_system_cpu_percent{device="pole-vm1"}'))[0].value[1]).toBe('42.5');
    expect((await vm.query('edge_system_spool_messages{device="pole-vm1"}'))[0].value[1]).toBe('3');
    const [zoneModelMs] = await vm.query('edge_zone_model_inference_ms{device="pole-vm1"}');
    expect(zoneModelMs.metric).toMatchObject({ camera: 'cam-1', model: 'stalls' });
    expect(zoneModelMs.value[1]).toBe('12.5');
    const [conf] = await vm.query('detection_confidence{device="pole-vm1"}');
    expect(conf.metric).toMatchObject({ type: 'illegal_parking', camera: 'cam-1', zone: 'kerb-1', state: 'started' });
    expect(Number(conf.value[1])).toBe(0.83);
    const [secs] = await vm.query('work_order_seconds{device="pole-vm1",state="dispatched",team="north"}');
    expect(Number(secs.value[1])).toBeCloseTo(120, 0);
    // Raw samples keep the message's own timestamp.
    const [series] = await vm.exportSeries('edge_camera_fps{device="pole-vm1",camera="cam-1"}');
    expect(series.timestamps).toEqual([Date.parse(t.at)]);
    await w.close();
  });

  it('keeps points while the server is away and delivers them once it is back', async () => {
    const port = await freePort();
    const w = new InfluxMetricsWriter({ url: `http://127.0.0.1:${port}`, org: 'o', bucket: 'b', flushIntervalMs: 10, retry: { minDelayMs: 20, maxDelayMs: 200 } });
    w.write(points(50, 'pole-late'));
    await waitFor(() => w.stats().failures >= 2, 'failed attempts');
    expect(w.stats()).toMatchObject({ written: 0, buffered: 50, dropped: 0 });
    const late = await startVictoriaMetrics({ port });
    try {
      await waitFor(() => w.stats().written === 50, 'retry after the server came back', 20_000);
      expect(w.stats()).toMatchObject({ buffered: 0, dropped: 0 });
      const series = await late.waitFor(async () => {
        const s = await late.exportSeries('edge_camera_fps{device="pole-late"}');
        return s.reduce((n, x) => n + x.values.length, 0) === 50 ? s : undefined;
      });
      expect(series).toHaveLength(3);
    } finally {
      await w.close();
      await late.stop();
    }
  });
});

describe('InfluxMetricsWriter when InfluxDB is unreachable', () => {
  it('dead URL: bounded buffer, oldest dropped and counted, close() bounded', async () => {
    const port = await freePort(); // nothing listens there
    const w = new InfluxMetricsWriter({ url: `http://127.0.0.1:${port}`, org: 'o', bucket: 'b', maxBufferedPoints: 100, batchSize: 10, flushIntervalMs: 5, retry: { minDelayMs: 10, maxDelayMs: 50 }, closeTimeoutMs: 500 });
    let maxBuffered = 0;
    for (let i = 0; i < 100; i++) {
      w.write(points(10));
      maxBuffered = Math.max(maxBuffered, w.stats().buffered);
      if (i % 10 === 0) await sleep(20); // let sends fail meanwhile
    }
    await waitFor(() => w.stats().failures >= 3, 'failures');
    const s = w.stats();
    expect(maxBuffered).toBeLessThanOrEqual(100);
    expect(s.buffered).toBeLessThanOrEqual(100);
    expect(s.written).toBe(0);
    expect(s.dropped + s.buffered).toBe(1000);
    const t0 = Date.now();
    await w.close();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(w.stats()).toMatchObject({ written: 0, buffered: 0, dropped: 1000 });
    w.write(points(5)); // after close: counted, never thrown
    expect(w.stats().dropped).toBe(1005);
  });

  it('hanging server: one request at a time, timed out, buffer still bounded', async () => {
    const sockets = new Set<Socket>();
    let open = 0;
    let maxOpen = 0;
    const srv = createServer((s) => {
      sockets.add(s);
      open++;
      maxOpen = Math.max(maxOpen, open);
      s.on('close', () => {
        open--;
        sockets.delete(s);
      });
      s.on('data', () => undefined); // read the request, never answer
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const { port } = srv.address() as { port: number };
    try {
      const w = new InfluxMetricsWriter({ url: `http://127.0.0.1:${port}`, org: 'o', bucket: 'b', maxBufferedPoints: 50, batchSize: 10, flushIntervalMs: 5, timeoutMs: 200, retry: { minDelayMs: 10, maxDelayMs: 20 }, closeTimeoutMs: 300 });
      for (let i = 0; i < 40; i++) {
        w.write(points(10));
        expect(w.stats().buffered).toBeLessThanOrEqual(50);
        await sleep(10);
      }
      await waitFor(() => w.stats().failures >= 2, 'timeouts');
      expect(maxOpen).toBe(1);
      await w.close();
      expect(w.stats()).toMatchObject({ written: 0, buffered: 0, dropped: 400 });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});
