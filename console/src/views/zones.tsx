/**
 * The zone editor: a camera's zones drawn on its latest photo. Draw a polygon point by point,
 * drag points, add one on an edge's midpoint, double-click a point to remove it; set kind, dwell
 * and active hours; send. Sending replaces the camera's zones on the box (`config/desired`), and
 * the box's `config/reported` answer shows up live as applied or rejected. When the box says the
 * camera was moved, the zones were drawn on the old view: a warning says so until it clears.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, evidenceUrl } from '../api';
import type { DesiredConfig, DeviceConfig, Zone } from '../api-types';
import { cameraMovedSince } from '../camera-alerts';
import { Ago } from '../components';
import { applyState } from '../config-status';
import { useApp } from '../context';
import { useKeys } from '../keys';
import { edgeMidpoints, nextZoneId, polygonProblem, toFrame, type Point } from '../geometry';
import { useStore } from '../store';
import { cameraKey } from './plan';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const ID = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,64}$/;
/** SVG user units across the photo; the height follows its aspect ratio. */
const W = 1000;

type Drag = { zone: number; vertex: number } | null;

export function ZonesView() {
  const app = useApp();
  const { t, fmt } = app;
  const store = useStore(app.store);
  const targets = cameraTargets(app.settings.cameras, [...store.devices.values()].flatMap((d) => [
    ...(d.telemetry?.cameras ?? []).map((c) => cameraKey(d.deviceId, c.cameraId)),
    ...(d.status?.cameras ?? []).map((c) => cameraKey(d.deviceId, c.cameraId)),
  ]));
  const [target, setTarget] = useState<string | null>(null);
  const current = target ?? targets[0] ?? null;
  const [deviceId, cameraId] = current ? current.split('/') : ['', ''];
  const [photo, setPhoto] = useState<{ sha256: string; capturedAt: string } | null | undefined>(undefined);
  const [aspect, setAspect] = useState(16 / 9);
  const [zones, setZones] = useState<Zone[]>([]);
  const [baseline, setBaseline] = useState('[]');
  const [selected, setSelected] = useState<number | null>(null);
  const [drawing, setDrawing] = useState<Point[] | null>(null);
  const [drag, setDrag] = useState<Drag>(null);
  const [sending, setSending] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const svg = useRef<SVGSVGElement>(null);
  const H = W / aspect;

  useEffect(() => {
    if (!current) return;
    setPhoto(undefined);
    setSelected(null);
    setDrawing(null);
    setLoadError(null);
    api<{ sha256: string; capturedAt: string }>(`/api/cameras/${deviceId}/${cameraId}/photo`).then(setPhoto, () => setPhoto(null));
    api<DeviceConfig>(`/api/devices/${deviceId}/config`).then(
      (cfg) => {
        app.store.setConfig(deviceId, cfg);
        // What the centre sent last, else what the box reported running (zones from its own file).
        const zonesOf = (cameras: Array<{ id: string; zones: Zone[] }> | undefined) => cameras?.find((c) => c.id === cameraId)?.zones;
        const mine = zonesOf(cfg.desired?.config.cameras) ?? zonesOf(cfg.reported?.message.running?.cameras) ?? [];
        setZones(mine);
        setBaseline(JSON.stringify(mine));
      },
      (err: Error) => setLoadError(err.message),
    );
  }, [current]);

  const desired = store.desired.get(deviceId);
  const reported = store.reported.get(deviceId);
  const state = applyState(desired, reported);
  const dirty = JSON.stringify(zones) !== baseline;
  const problems = zoneProblems(zones, t);
  const canEdit = ['operator', 'supervisor', 'admin'].includes(app.user.role);
  const movedSince = cameraMovedSince(store.devices.get(deviceId), cameraId);

  const point = (e: MouseEvent): Point => toFrame(e.clientX, e.clientY, svg.current!.getBoundingClientRect());
  const update = (i: number, change: (z: Zone) => Zone) => setZones(zones.map((z, j) => (j === i ? change(z) : z)));
  const finishDrawing = () => {
    if (!drawing || drawing.length < 3) return;
    const zone: Zone = { id: nextZoneId(zones.map((z) => z.id)), kind: 'no_parking', polygon: drawing, dwellSeconds: 300 };
    setZones([...zones, zone]);
    setSelected(zones.length);
    setDrawing(null);
  };

  useKeys((e) => {
    if (!drawing) return;
    if (e.key === 'Enter') finishDrawing();
    else if (e.key === 'Escape') setDrawing(null);
  });

  const send = async () => {
    setSending(true);
    try {
      const sent = await api<DesiredConfig>(`/api/devices/${deviceId}/cameras/${cameraId}/zones`, { method: 'PUT', body: { zones } });
      app.store.apply({ kind: 'config_desired', deviceId, desired: sent });
      setBaseline(JSON.stringify(zones));
      app.toast(t('zones.sent', { version: sent.version }));
    } catch (err) {
      app.toast(`${t('error.action')}: ${(err as Error).message}`, 'error');
      if (err instanceof ApiError && err.status === 504) setBaseline(JSON.stringify(zones));
    } finally {
      setSending(false);
    }
  };

  if (!current) return <div class="zones empty-state"><p>{t('zones.noCameras')}</p></div>;
  const sel = selected !== null ? zones[selected] : undefined;
  return (
    <div class="zones" data-testid="zones">
      <div class="zones-bar">
        <label>
          {t('order.camera')}
          <select data-testid="zone-camera" value={current} onChange={(e) => setTarget(e.currentTarget.value)}>
            {targets.map((k) => {
              const [d, c] = k.split('/');
              return <option key={k} value={k}>{app.cameraName(d, c)} ({k})</option>;
            })}
          </select>
        </label>
        <ApplyStatus state={state} desired={desired ?? null} reported={reported ?? null} />
      </div>
      {loadError && <p class="error">{loadError}</p>}
      {movedSince && (
        <p class="alert-banner" role="alert" data-testid="zone-camera-moved">
          <strong>{t('alert.camera_moved')}</strong> {t('zones.cameraMoved', { at: fmt.dateTime(movedSince, true) })}
          {photo && photo.capturedAt < movedSince && <> {t('zones.photoBeforeMove')}</>}
        </p>
      )}
      <div class="zones-main">
        <div class="zone-canvas" data-testid="zone-canvas">
          {photo ? (
            <img src={evidenceUrl(photo.sha256)} alt={t('photo.full')} onLoad={(e) => setAspect(e.currentTarget.naturalWidth / e.currentTarget.naturalHeight)} />
          ) : (
            <div class="no-photo">{photo === null ? t('zones.noPhoto') : t('common.loading')}</div>
          )}
          <svg
            ref={svg}
            viewBox={`0 0 ${W} ${H}`}
            preserveAspectRatio="none"
            data-testid="zone-svg"
            class={drawing ? 'drawing' : ''}
            onClick={(e) => {
              if (drawing) setDrawing([...drawing, point(e)]);
              else if (e.target === svg.current) setSelected(null);
            }}
            onPointerMove={(e) => {
              if (!drag) return;
              const p = point(e);
              update(drag.zone, (z) => ({ ...z, polygon: z.polygon.map((q, k) => (k === drag.vertex ? p : q)) }));
            }}
            onPointerUp={() => setDrag(null)}
          >
            {zones.map((z, i) => (
              <polygon
                key={i}
                points={z.polygon.map(([x, y]) => `${x * W},${y * H}`).join(' ')}
                class={`zone ${z.kind}${i === selected ? ' selected' : ''}${polygonProblem(z.polygon) ? ' invalid' : ''}`}
                data-testid="zone-polygon"
                data-zone-id={z.id}
                onClick={(e) => {
                  if (drawing) return;
                  e.stopPropagation();
                  setSelected(i);
                }}
              />
            ))}
            {sel && canEdit && !drawing && selected !== null && (
              <g class="handles">
                {edgeMidpoints(sel.polygon).map(([x, y], k) => (
                  <circle
                    key={`m${k}`}
                    class="mid"
                    cx={x * W}
                    cy={y * H}
                    r={7}
                    onPointerDown={(e) => {
                      e.stopPropagation();
                      const poly = [...sel.polygon];
                      poly.splice(k + 1, 0, [x, y]);
                      update(selected, (z) => ({ ...z, polygon: poly }));
                      setDrag({ zone: selected, vertex: k + 1 });
                    }}
                  />
                ))}
                {sel.polygon.map(([x, y], k) => (
                  <circle
                    key={`v${k}`}
                    class="vertex"
                    cx={x * W}
                    cy={y * H}
                    r={10}
                    onPointerDown={(e) => {
                      e.stopPropagation();
                      setDrag({ zone: selected, vertex: k });
                    }}
                    onDblClick={(e) => {
                      e.stopPropagation();
                      if (sel.polygon.length > 3) update(selected, (z) => ({ ...z, polygon: z.polygon.filter((_, j) => j !== k) }));
                    }}
                  />
                ))}
              </g>
            )}
            {drawing && (
              <g class="draft">
                <polyline points={drawing.map(([x, y]) => `${x * W},${y * H}`).join(' ')} />
                {drawing.map(([x, y], k) => (
                  <circle
                    key={k}
                    cx={x * W}
                    cy={y * H}
                    r={k === 0 ? 14 : 8}
                    class={k === 0 ? 'first' : ''}
                    onClick={(e) => {
                      if (k !== 0 || drawing.length < 3) return;
                      e.stopPropagation();
                      finishDrawing();
                    }}
                  />
                ))}
              </g>
            )}
          </svg>
        </div>
        <aside class="zone-panel">
          {canEdit && (
            <div class="tools">
              {drawing ? (
                <>
                  <p class="hint">{t('zones.drawHint')}</p>
                  <button type="button" class="primary" data-testid="zone-finish" disabled={drawing.length < 3} onClick={finishDrawing}>{t('zones.finish')}</button>
                  <button type="button" class="link" onClick={() => setDrawing(null)}>{t('common.cancel')}</button>
                </>
              ) : (
                <button type="button" data-testid="zone-new" onClick={() => { setSelected(null); setDrawing([]); }}>+ {t('zones.new')}</button>
              )}
            </div>
          )}
          <ul class="zone-list">
            {zones.length === 0 && <li class="muted">{t('zones.none')}</li>}
            {zones.map((z, i) => (
              <li key={i}>
                <button type="button" class={`link${i === selected ? ' selected' : ''}`} onClick={() => setSelected(i)}>
                  <i class={`swatch ${z.kind}`} /> {z.id} · {t(`kind.${z.kind}`)}
                </button>
              </li>
            ))}
          </ul>
          {sel && selected !== null && <ZoneForm zone={sel} readOnly={!canEdit} onChange={(z) => update(selected, () => z)} onDelete={() => { setZones(zones.filter((_, j) => j !== selected)); setSelected(null); }} />}
          {problems.length > 0 && <ul class="problems">{problems.map((p) => <li key={p}>{p}</li>)}</ul>}
          {canEdit && (
            <div class="send">
              <p class="hint">{t('zones.replaceWarning')}</p>
              <button type="button" class="primary big" data-testid="zone-send" disabled={sending || !dirty || problems.length > 0 || !!drawing} onClick={() => void send()}>
                {t('zones.send')}
              </button>
              {dirty && <span class="muted">{t('zones.unsent')}</span>}
            </div>
          )}
          {desired && <p class="muted">{t('zones.lastSent', { version: desired.version, by: desired.by, at: fmt.dateTime(desired.issuedAt) })}</p>}
        </aside>
      </div>
    </div>
  );
}

function ApplyStatus({ state, desired, reported }: { state: ReturnType<typeof applyState>; desired: DesiredConfig | null; reported: DeviceConfig['reported'] | null }) {
  const { t } = useApp();
  const r = reported?.message;
  return (
    <div class={`apply-status ${state}`} data-testid="config-status" data-state={state}>
      {state === 'none' && <span>{t('zones.status.none')}</span>}
      {state === 'pending' && <span>{t('zones.status.pending', { version: desired!.version })}</span>}
      {state === 'applied' && r && <span>{t('zones.status.applied', { version: r.version })} · <Ago at={reported!.receivedAt} /></span>}
      {state === 'rejected' && r && <span>{t('zones.status.rejected', { version: r.version })}: <code>{r.error ?? ''}</code></span>}
    </div>
  );
}

function ZoneForm({ zone, readOnly, onChange, onDelete }: { zone: Zone; readOnly: boolean; onChange: (z: Zone) => void; onDelete: () => void }) {
  const { t } = useApp();
  const schedule = zone.schedule ?? [];
  const setSchedule = (s: NonNullable<Zone['schedule']>) => onChange(s.length ? { ...zone, schedule: s } : withoutSchedule(zone));
  return (
    <fieldset class="zone-form" disabled={readOnly} data-testid="zone-form">
      <label>
        {t('zones.id')}
        <input data-testid="zone-id" value={zone.id} maxLength={64} onInput={(e) => onChange({ ...zone, id: e.currentTarget.value })} />
      </label>
      <label>
        {t('zones.kind')}
        <select data-testid="zone-kind" value={zone.kind} onChange={(e) => onChange({ ...zone, kind: e.currentTarget.value as Zone['kind'] })}>
          <option value="no_parking">{t('kind.no_parking')}</option>
          <option value="no_vending">{t('kind.no_vending')}</option>
        </select>
      </label>
      <label>
        {t('zones.dwell')}
        <input data-testid="zone-dwell" type="number" min={1} max={86400} step={1} value={zone.dwellSeconds ?? 300} onInput={(e) => onChange({ ...zone, dwellSeconds: Number(e.currentTarget.value) })} />
      </label>
      <div class="schedule">
        <span>{t('zones.schedule')}</span>
        {schedule.length === 0 && <p class="muted">{t('zones.always')}</p>}
        {schedule.map((w, i) => {
          const days = w.days ?? [...DAYS];
          const set = (next: typeof w) => setSchedule(schedule.map((x, j) => (j === i ? next : x)));
          return (
            <div class="window" key={i}>
              <div class="days">
                {DAYS.map((d) => (
                  <label key={d} class="day">
                    <input type="checkbox" checked={days.includes(d)} onChange={(e) => set({ ...w, days: e.currentTarget.checked ? DAYS.filter((x) => x === d || days.includes(x)) : days.filter((x) => x !== d) })} />
                    {t(`day.${d}`)}
                  </label>
                ))}
              </div>
              <input type="time" value={w.from} onInput={(e) => set({ ...w, from: e.currentTarget.value })} />
              –
              <input type="time" value={w.to} onInput={(e) => set({ ...w, to: e.currentTarget.value })} />
              <button type="button" class="link" onClick={() => setSchedule(schedule.filter((_, j) => j !== i))}>✕</button>
            </div>
          );
        })}
        <button type="button" class="link" onClick={() => setSchedule([...schedule, { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '07:00', to: '20:00' }])}>+ {t('zones.addWindow')}</button>
      </div>
      <button type="button" class="danger" onClick={onDelete}>{t('zones.delete')}</button>
    </fieldset>
  );
}

function withoutSchedule(z: Zone): Zone {
  const { schedule: _dropped, ...rest } = z;
  return rest;
}

/** What would make the centre or the box refuse the zones, in words. */
function zoneProblems(zones: readonly Zone[], t: ReturnType<typeof useApp>['t']): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const z of zones) {
    if (!ID.test(z.id)) out.push(t('zones.problem.id', { id: z.id }));
    if (seen.has(z.id)) out.push(t('zones.problem.duplicate', { id: z.id }));
    seen.add(z.id);
    const p = polygonProblem(z.polygon);
    if (p) out.push(t(`zones.problem.${p}`, { id: z.id }));
    if (!(z.dwellSeconds === undefined || (z.dwellSeconds > 0 && z.dwellSeconds <= 86_400))) out.push(t('zones.problem.dwell', { id: z.id }));
    for (const w of z.schedule ?? []) if (!w.from || !w.to || (w.days && w.days.length === 0)) out.push(t('zones.problem.schedule', { id: z.id }));
  }
  return out;
}

/** Cameras one can draw for: the configured ones first, then any a box reports. */
function cameraTargets(configured: ReadonlyArray<{ deviceId: string; cameraId: string }>, reported: readonly string[]): string[] {
  const keys = configured.map((c) => cameraKey(c.deviceId, c.cameraId));
  for (const k of [...reported].sort()) if (!keys.includes(k) && !k.endsWith('/bays')) keys.push(k);
  return keys;
}
