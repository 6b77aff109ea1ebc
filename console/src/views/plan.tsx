/**
 * The camera plan: each configured camera at its lat/long on a north-up, to-scale plan (no map
 * tiles, works offline), sized by its open orders and coloured by the most urgent one. Clicking a
 * camera filters the board to it.
 */
import type { SlaLevel, WorkOrder } from '../api-types';
import { useNow } from '../clock';
import { useApp } from '../context';
import { fitProjection, scaleBarMetres } from '../plan';
import { slaLight, worstLight } from '../sla';

const W = 1000;
const H = 700;
const PAD = 90;

export const cameraKey = (deviceId: string, cameraId: string): string => `${deviceId}/${cameraId}`;

export function Plan({ orders, selected, onPick }: { orders: readonly WorkOrder[]; selected: string | null; onPick: (key: string | null) => void }) {
  const { settings, t, cameraName } = useApp();
  const now = useNow();
  const cams = settings.cameras;
  if (cams.length === 0) return <div class="plan empty-state" data-testid="plan"><p>{t('plan.noCameras')}</p></div>;
  const proj = fitProjection(cams.map((c) => c.location), W, H, PAD);
  const byCamera = new Map<string, SlaLevel[]>();
  for (const o of orders) {
    // The plan shows cameras: a reported problem no camera saw has no light on it.
    if (!o.deviceId || !o.cameraId) continue;
    const k = cameraKey(o.deviceId, o.cameraId);
    const lights = byCamera.get(k) ?? [];
    lights.push(slaLight(Date.parse(o.discoveredAt), now, settings.sla));
    byCamera.set(k, lights);
  }
  const barM = scaleBarMetres(proj.unitsPerMetre, 200);
  const barUnits = barM * proj.unitsPerMetre;
  return (
    <figure class="plan" data-testid="plan">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('plan.title')}>
        <defs>
          <pattern id="grid" width="50" height="50" patternUnits="userSpaceOnUse">
            <path d="M 50 0 L 0 0 0 50" class="grid-line" />
          </pattern>
        </defs>
        <rect width={W} height={H} class="plan-bg" />
        <rect width={W} height={H} fill="url(#grid)" onClick={() => onPick(null)} />
        <g class="north" transform={`translate(${W - 50},60)`}>
          <path d="M0,-28 L10,8 L0,2 L-10,8 Z" />
          <text y="30" text-anchor="middle">N</text>
        </g>
        <g class="scale" transform={`translate(40,${H - 40})`}>
          <path d={`M0,0 h${barUnits} M0,-6 v12 M${barUnits},-6 v12`} />
          <text x={barUnits / 2} y="-10" text-anchor="middle">{barM >= 1000 ? `${barM / 1000} km` : `${barM} m`}</text>
        </g>
        {cams.map((c) => {
          const k = cameraKey(c.deviceId, c.cameraId);
          const lights = byCamera.get(k) ?? [];
          const worst = worstLight(lights);
          const p = proj.project(c.location);
          const r = 16 + Math.min(30, Math.sqrt(lights.length) * 6);
          return (
            <g
              key={k}
              class={`cam${selected === k ? ' selected' : ''} ${worst ? `sla-${worst}` : 'idle'}`}
              transform={`translate(${p.x},${p.y})`}
              data-testid="plan-camera"
              data-camera={k}
              data-light={worst ?? 'none'}
              onClick={() => onPick(selected === k ? null : k)}
            >
              <circle r={r} />
              <text class="n" dy="0.35em" text-anchor="middle">{lights.length}</text>
              <text class="label" y={r + 22} text-anchor="middle">{c.name ?? cameraName(c.deviceId, c.cameraId)}</text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
