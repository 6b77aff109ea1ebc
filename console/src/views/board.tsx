/**
 * The work-order board: open orders, most urgent deadline first, as a list and on the camera
 * plan, with filters by type, team, state and camera; a row opens the order's detail.
 */
import { memo } from 'preact/compat';
import { useState } from 'preact/hooks';
import type { OrderState, ViolationType, WorkOrder } from '../api-types';
import { Ago, Plate, SlaCountdown, SourceBadge, StateBadge, UnableBadge, VerificationBadge } from '../components';
import { useApp } from '../context';
import { BOARD_STATES, useStore } from '../store';
import { OrderDetail } from './order-detail';
import { cameraKey, Plan } from './plan';

const TYPES: ViolationType[] = ['illegal_parking', 'street_vending'];
const byDeadline = (a: WorkOrder, b: WorkOrder): number => a.deadlineAt.localeCompare(b.deadlineAt) || a.id.localeCompare(b.id);

export function BoardView({ orderId }: { orderId: string | null }) {
  const app = useApp();
  const { t, settings } = app;
  const store = useStore(app.store);
  const [type, setType] = useState<ViolationType | ''>('');
  const [team, setTeam] = useState('');
  const [state, setState] = useState<OrderState | ''>('');
  const [camera, setCamera] = useState<string | null>(null);
  // The plan shows every camera under the other filters; the list also narrows to the picked camera.
  const forPlan = [...store.orders.values()].filter((o) => BOARD_STATES.includes(o.state) && (!type || o.type === type) && (!team || o.team === team) && (!state || o.state === state));
  const rows = (camera ? forPlan.filter((o) => o.deviceId !== null && o.cameraId !== null && cameraKey(o.deviceId, o.cameraId) === camera) : forPlan).sort(byDeadline);

  return (
    <div class="board" data-testid="board">
      <div class="filters">
        <label>
          {t('filter.type')}
          <select data-testid="filter-type" value={type} onChange={(e) => setType(e.currentTarget.value as ViolationType | '')}>
            <option value="">{t('filter.all')}</option>
            {TYPES.map((v) => <option key={v} value={v}>{t(`type.${v}`)}</option>)}
          </select>
        </label>
        <label>
          {t('filter.team')}
          <select data-testid="filter-team" value={team} onChange={(e) => setTeam(e.currentTarget.value)}>
            <option value="">{t('filter.all')}</option>
            {settings.teams.map((tm) => <option key={tm.id} value={tm.id}>{tm.name ?? tm.id}</option>)}
          </select>
        </label>
        <label>
          {t('filter.state')}
          <select data-testid="filter-state" value={state} onChange={(e) => setState(e.currentTarget.value as OrderState | '')}>
            <option value="">{t('filter.allOpen')}</option>
            {BOARD_STATES.map((s) => <option key={s} value={s}>{t(`state.${s}`)}</option>)}
          </select>
        </label>
        {camera && (
          <button type="button" class="chip" onClick={() => setCamera(null)}>
            {t('order.camera')}: {camera} ✕
          </button>
        )}
        <span class="summary" data-testid="board-count">{t('board.count', { n: rows.length })}</span>
      </div>
      <div class="board-main">
        <div class="list-wrap">
          {rows.length === 0 ? (
            <p class="empty">{store.loaded ? t('board.empty') : t('common.loading')}</p>
          ) : (
            <table class="orders" data-testid="board-list">
              <thead>
                <tr>
                  <th>{t('order.sla')}</th>
                  <th>{t('order.type')}</th>
                  <th>{t('order.camera')}</th>
                  <th>{t('order.state')}</th>
                  <th>{t('order.assignee')}</th>
                  <th>{t('order.plate')}</th>
                  <th>{t('order.discovered')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((o) => <Row key={o.id} order={o} selected={o.id === orderId} />)}
              </tbody>
            </table>
          )}
        </div>
        <Plan orders={forPlan} selected={camera} onPick={setCamera} />
      </div>
      {orderId && <OrderDetail id={orderId} />}
    </div>
  );
}

/** Memoised: the row re-renders when its order changes; the countdown inside ticks on its own. */
const Row = memo(function Row({ order: o, selected }: { order: WorkOrder; selected: boolean }) {
  const app = useApp();
  const { t } = app;
  return (
    <tr class={`board-row${selected ? ' selected' : ''}`} data-testid="board-row" data-order-id={o.id} onClick={() => (location.hash = `#/board/${o.id}`)}>
      <td><SlaCountdown order={o} /></td>
      <td>{t(`type.${o.type}`)}</td>
      <td>{o.deviceId && o.cameraId ? <>{app.cameraName(o.deviceId, o.cameraId)} <span class="muted">· {o.zoneId}</span></> : app.orderPlace(o)} <SourceBadge source={o.source} /></td>
      <td><StateBadge state={o.state} /> <VerificationBadge order={o} /> <UnableBadge order={o} /></td>
      <td>{app.officerName(o.assignee)}</td>
      <td><Plate order={o} /></td>
      <td><Ago at={o.discoveredAt} /></td>
    </tr>
  );
});
