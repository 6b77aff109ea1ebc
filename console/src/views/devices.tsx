/**
 * Cameras and boxes: every registered box, online or not, when it was last heard of, its system
 * and spool figures, and per camera the stream state, frame rate, inference time and decoding
 * load from its latest telemetry, its second-stage zone models' runs, and what its box says is
 * wrong with the picture (a moved camera). Offline boxes come first and stand out.
 */
import type { CameraState, Device, ZoneModelTelemetry } from '../api-types';
import { cameraMovedSince } from '../camera-alerts';
import { Ago } from '../components';
import { useNow } from '../clock';
import { useApp } from '../context';
import { deviceHealth, type Health } from '../device-health';
import { bytes } from '../format';
import { useStore } from '../store';

const ORDER: Record<Health, number> = { offline: 0, online: 1, revoked: 2 };

export function DevicesView() {
  const app = useApp();
  const { t, fmt } = app;
  const store = useStore(app.store);
  const now = useNow();
  const list = [...store.devices.values()]
    .map((d) => ({ d, health: deviceHealth(d, now) }))
    .sort((a, b) => ORDER[a.health] - ORDER[b.health] || a.d.deviceId.localeCompare(b.d.deviceId));
  const offline = list.filter((x) => x.health === 'offline').length;

  return (
    <div class="devices" data-testid="devices">
      <h2>
        {t('devices.title')} <span class="count">{list.length}</span>
        {offline > 0 && <span class="badge alarm" data-testid="offline-count">{t('devices.offlineCount', { n: offline })}</span>}
      </h2>
      {list.length === 0 && <p class="empty">{store.loaded ? t('devices.none') : t('common.loading')}</p>}
      {list.map(({ d, health }) => (
        <section key={d.deviceId} class={`device ${health}`} data-testid="device" data-device-id={d.deviceId} data-health={health}>
          <header>
            <span class={`badge health-${health}`} data-testid="device-health">{t(`health.${health}`)}</span>
            <h3>{d.deviceId}</h3>
            <span class="muted">
              {t('devices.lastSeen')}: {d.lastSeenAt ? <><Ago at={d.lastSeenAt} /> · {fmt.dateTime(d.lastSeenAt)}</> : t('devices.never')}
            </span>
            {d.status?.version && <span class="muted">v{d.status.version}</span>}
          </header>
          <SystemFigures device={d} />
          <CameraTable device={d} />
        </section>
      ))}
    </div>
  );
}

function SystemFigures({ device: d }: { device: Device }) {
  const { t, fmt } = useApp();
  const s = d.telemetry?.system;
  const spool = d.telemetry?.spool;
  if (!s || !spool) return <p class="muted">{t('devices.noTelemetry')}</p>;
  return (
    <dl class="figures">
      <div><dt>{t('devices.cpu')}</dt><dd>{fmt.number(s.cpuPercent, 0)}%</dd></div>
      <div><dt>{t('devices.memory')}</dt><dd>{fmt.number(s.rssMb, 0)} MB</dd></div>
      <div><dt>{t('devices.disk')}</dt><dd>{fmt.number(s.diskFreeMb, 0)} MB</dd></div>
      <div><dt>{t('devices.uptime')}</dt><dd>{fmt.number(s.uptimeSeconds / 3600, 1)} h</dd></div>
      <div class={spool.messages > 100 ? 'warn' : ''}>
        <dt>{t('devices.spool')}</dt>
        <dd data-testid="spool">{t('devices.spoolValue', { n: spool.messages, size: bytes(spool.bytes) })}</dd>
      </div>
      <div class={spool.dropped > 0 ? 'warn' : ''}><dt>{t('devices.dropped')}</dt><dd>{spool.dropped}</dd></div>
    </dl>
  );
}

function CameraTable({ device: d }: { device: Device }) {
  const { t, fmt, cameraName } = useApp();
  const statusOf = new Map((d.status?.cameras ?? []).map((c) => [c.cameraId, c]));
  const cams = d.telemetry?.cameras ?? [];
  const ids = [...new Set([...cams.map((c) => c.cameraId), ...statusOf.keys()])].sort();
  if (ids.length === 0) return null;
  return (
    <table class="cameras">
      <thead>
        <tr>
          <th>{t('order.camera')}</th>
          <th>{t('devices.stream')}</th>
          <th>{t('devices.fps')}</th>
          <th>{t('devices.inference')}</th>
          <th>{t('devices.decode')}</th>
          <th>{t('devices.droppedFrames')}</th>
          <th>{t('devices.lastFrame')}</th>
          <th>{t('devices.open')}</th>
          <th title={t('devices.zoneModelsHint')}>{t('devices.zoneModels')}</th>
        </tr>
      </thead>
      <tbody>
        {ids.map((id) => {
          const c = cams.find((x) => x.cameraId === id);
          const state = (c?.state ?? statusOf.get(id)?.state ?? 'unknown') as CameraState;
          const movedSince = cameraMovedSince(d, id);
          return (
            <tr key={id} data-testid="camera-row" data-camera-id={id} class={state === 'connected' && !movedSince ? '' : 'warn'}>
              <td>
                {cameraName(d.deviceId, id)}
                {movedSince && (
                  <span class="badge alarm camera-alert" data-testid="camera-alert" data-kind="camera_moved" title={fmt.dateTime(movedSince, true)}>
                    {t('alert.camera_moved')} · {t('alert.since', { at: fmt.dateTime(movedSince) })}
                  </span>
                )}
              </td>
              <td>{t(`stream.${state}`)}{statusOf.get(id)?.message ? <span class="muted"> · {statusOf.get(id)!.message}</span> : null}</td>
              <td data-testid="fps">{c ? fmt.number(c.fps, 1) : '—'}</td>
              <td data-testid="inference">{c ? `${fmt.number(c.inferenceMs, 0)} ms` : '—'}</td>
              <td data-testid="decode">{c?.decodeCpuPercent === undefined ? '—' : `${fmt.number(c.decodeCpuPercent, 0)} %`}</td>
              <td>{c?.droppedFrames ?? '—'}</td>
              <td>{c?.lastFrameAt ? fmt.time(c.lastFrameAt) : '—'}</td>
              <td>{c?.openDetections ?? '—'}</td>
              <td data-testid="zone-models">{c?.zoneModels?.length ? <ZoneModels models={c.zoneModels} /> : '—'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Each second-stage model of a camera over the telemetry's window: runs, mean time, objects found; one that did not run is muted. */
function ZoneModels({ models }: { models: readonly ZoneModelTelemetry[] }) {
  const { t, fmt } = useApp();
  return (
    <ul class="zone-models">
      {models.map((m) => (
        <li key={m.modelId} class={m.runs === 0 ? 'muted' : ''} data-testid="zone-model" data-model-id={m.modelId} data-runs={m.runs} data-detections={m.detections}>
          <b>{m.modelId}</b> {t('devices.zoneModelValue', { runs: m.runs, ms: fmt.number(m.inferenceMs, 0), found: m.detections })}
        </li>
      ))}
    </ul>
  );
}
