/**
 * One order: its facts, photos, timeline (the audit log) and the moves the signed-in role may
 * make from its state. The centre re-checks every move (role, officer scope, state); the buttons
 * only spare people the ones that would be refused.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import type { OrderState, Role, User, WorkOrder } from '../api-types';
import { Ago, Photo, Plate, SlaCountdown, SourceBadge, StateBadge, VerificationBadge } from '../components';
import { useApp } from '../context';
import type { Key } from '../i18n';
import { isOpen, OPEN_STATES, useStore } from '../store';

interface Move {
  to: OrderState;
  from: readonly OrderState[];
  roles: readonly Role[];
  label: Key;
  tone: 'primary' | 'danger';
}

/** As the centre allows them (docs/user-guide.md, Work orders); confirm and reject live in the review queue. */
const MOVES: readonly Move[] = [
  { to: 'accepted', from: ['dispatched'], roles: ['officer', 'admin'], label: 'action.accept', tone: 'primary' },
  { to: 'on_site', from: ['accepted'], roles: ['officer', 'admin'], label: 'action.onSite', tone: 'primary' },
  { to: 'resolved', from: ['on_site'], roles: ['officer', 'admin'], label: 'action.resolve', tone: 'primary' },
  { to: 'self_cleared', from: OPEN_STATES, roles: ['admin'], label: 'action.selfCleared', tone: 'danger' },
  { to: 'cancelled', from: OPEN_STATES, roles: ['operator', 'supervisor', 'admin'], label: 'action.cancel', tone: 'danger' },
];

/** Officers act on orders of their own or of a team whose roster lists them. */
const inScope = (user: User, o: WorkOrder): boolean => user.role !== 'officer' || o.assignee === user.officerId || user.teams.includes(o.team);

export function OrderDetail({ id }: { id: string }) {
  const app = useApp();
  const { t, fmt, user } = app;
  const store = useStore(app.store);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const order = store.order(id);

  useEffect(() => {
    setError(null);
    api<WorkOrder>(`/api/orders/${id}`).then((o) => app.store.putOrder(o), (err: Error) => setError(err.message));
  }, [id]);

  const close = () => (location.hash = '#/board');
  const move = async (to: OrderState) => {
    setBusy(true);
    try {
      app.store.putOrder(await api<WorkOrder>(`/api/orders/${id}/transitions`, { method: 'POST', body: { to, ...(note.trim() ? { note: note.trim() } : {}) } }));
      setNote('');
      app.toast(t('order.moved', { state: t(`state.${to}`) }));
    } catch (err) {
      app.toast(`${t('error.action')}: ${(err as Error).message}`, 'error');
    } finally {
      setBusy(false);
    }
  };

  const moves = order && inScope(user, order) ? MOVES.filter((m) => m.from.includes(order.state) && m.roles.includes(user.role)) : [];
  return (
    <aside class="drawer" data-testid="order-detail" data-order-id={id} aria-label={t('order.detail')}>
      <header>
        <h2>{order ? t(`type.${order.type}`) : t('order.detail')}</h2>
        <button type="button" class="link" data-testid="close-detail" onClick={close}>✕ {t('common.close')}</button>
      </header>
      {!order ? (
        <p class={error ? 'error' : 'muted'}>{error ?? t('common.loading')}</p>
      ) : (
        <>
          <div class="detail-head">
            <StateBadge state={order.state} />
            <VerificationBadge order={order} />
            {isOpen(order.state) ? <SlaCountdown order={order} /> : <span class="muted">{t('order.closedAt', { at: fmt.dateTime(order.stateTimes[order.state] ?? order.updatedAt) })}</span>}
            <span class="mono muted">{order.id}</span>
          </div>
          <dl class="facts">
            <dt>{t('order.camera')}</dt><dd>{app.orderPlace(order)} <SourceBadge source={order.source} /></dd>
            {order.location?.address && <><dt>{t('order.address')}</dt><dd>{order.location.address}</dd></>}
            <dt>{t('order.team')}</dt><dd>{app.settings.teams.find((tm) => tm.id === order.team)?.name ?? order.team}</dd>
            <dt>{t('order.assignee')}</dt><dd data-testid="assignee">{app.officerName(order.assignee)}</dd>
            <dt>{t('order.plate')}</dt><dd><Plate order={order} /></dd>
            <dt>{t('order.confidence')}</dt><dd>{Math.round(order.confidence * 100)}% ({order.label})</dd>
            <dt>{t('order.discovered')}</dt><dd>{fmt.dateTime(order.discoveredAt, true)} (<Ago at={order.discoveredAt} />)</dd>
            <dt>{t('order.deadline')}</dt><dd>{fmt.dateTime(order.deadlineAt, true)}</dd>
            {order.edgeEnded && <><dt>{t('order.edgeEnded')}</dt><dd>{t(`ended.${order.edgeEnded.reason}`)} · {fmt.time(order.edgeEnded.at)}</dd></>}
            {order.verification && (
              <>
                <dt>{t('order.verification')}</dt>
                <dd data-testid="verification-detail">
                  {t(`verification.${order.verification.status}`)}
                  {order.verification.status === 'waiting' ? ` · ${t('verification.until', { at: fmt.time(order.verification.until) })}` : ''}
                  {order.verification.note ? ` — ${order.verification.note}` : ''}
                </dd>
              </>
            )}
            {order.rejection && <><dt>{t('order.rejection')}</dt><dd>{t(`reason.${order.rejection.reason}`)}{order.rejection.note ? ` — ${order.rejection.note}` : ''}</dd></>}
          </dl>
          {order.state === 'pending_review' && <p><a href="#/review">{t('order.goReview')}</a></p>}
          {moves.length > 0 && (
            <div class="moves">
              <input value={note} maxLength={1000} placeholder={t('order.note')} data-testid="move-note" onInput={(e) => setNote(e.currentTarget.value)} />
              {moves.map((m) => (
                <button type="button" key={m.to} class={m.tone} data-testid={`move-${m.to}`} disabled={busy} onClick={() => void move(m.to)}>
                  {t(m.label)}
                </button>
              ))}
            </div>
          )}
          {order.reports.length > 0 && (
            <>
              <h3>{t('order.reports')}</h3>
              <ol class="reports" data-testid="reports">
                {order.reports.map((r) => (
                  <li key={r.id}>
                    <SourceBadge source={r.source} /> {r.user ?? r.clientId} · {fmt.time(r.receivedAt)}{r.description ? ` — ${r.description}` : ''}
                  </li>
                ))}
              </ol>
            </>
          )}
          <h3>{t('order.evidence')}</h3>
          <div class="evidence">
            {order.evidence.length === 0 && <p class="muted">{t('photo.none')}</p>}
            {order.evidence.map((e) => (
              <figure key={e.evidenceId}>
                <Photo sha256={e.sha256} alt={t(`photo.${e.kind}`)} className={`photo ${e.kind}`} />
                <figcaption>{t(`photo.${e.kind}`)} · {fmt.time(e.capturedAt)}</figcaption>
              </figure>
            ))}
          </div>
          <h3>{t('order.timeline')}</h3>
          <ol class="timeline" data-testid="timeline">
            {order.audit.map((a, i) => (
              <li key={i}>
                <time>{fmt.dateTime(a.at)}</time>
                <span>{a.from ? `${t(`state.${a.from}`)} → ` : ''}<b>{t(`state.${a.to}`)}</b></span>
                <span class="muted">{a.by}</span>
                {a.note && <span class="note">{a.note}</span>}
              </li>
            ))}
          </ol>
        </>
      )}
    </aside>
  );
}
