/**
 * The review queue: detections below the auto-confirm threshold, oldest first. The operator looks
 * at the photos and confirms (→ a dispatched work order) or rejects with a reason, by click or by
 * key. One request at a time: while a decision is on its way nothing else can be decided, and
 * the centre refuses a second decision on the same item (409), whoever makes it.
 */
import { useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import type { RejectReason, WorkOrder } from '../api-types';
import { Ago, Photo, Plate, SlaCountdown, SourceBadge } from '../components';
import { useApp } from '../context';
import { useKeys } from '../keys';
import { useStore } from '../store';

const byDiscovery = (a: WorkOrder, b: WorkOrder): number => a.discoveredAt.localeCompare(b.discoveredAt) || a.id.localeCompare(b.id);

const typing = (e: KeyboardEvent): boolean => e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement;

export function ReviewView() {
  const app = useApp();
  const { t, settings } = app;
  const store = useStore(app.store);
  const queue = [...store.orders.values()].filter((o) => o.state === 'pending_review').sort(byDiscovery);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const index = Math.max(0, queue.findIndex((o) => o.id === selectedId));
  const selected = queue[index] ?? null;
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState<RejectReason | null>(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  // The guard itself, set before any re-render: a double click or key repeat sends one decision.
  const inFlight = useRef(false);
  const noteRef = useRef<HTMLInputElement>(null);
  const canDecide = ['operator', 'supervisor', 'admin'].includes(app.user.role);

  const select = (i: number) => {
    const o = queue[Math.min(queue.length - 1, Math.max(0, i))];
    if (o) setSelectedId(o.id);
    setRejecting(false);
    setReason(null);
    setNote('');
  };

  const decide = async (order: WorkOrder, decision: { confirm: true } | { reason: RejectReason; note?: string }) => {
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    const after = queue[index + 1] ?? queue[index - 1] ?? null;
    try {
      const done = 'confirm' in decision
        ? await api<WorkOrder>(`/api/review/${order.id}/confirm`, { method: 'POST' })
        : await api<WorkOrder>(`/api/review/${order.id}/reject`, { method: 'POST', body: { reason: decision.reason, ...(decision.note ? { note: decision.note } : {}) } });
      app.store.putOrder(done);
      app.toast('confirm' in decision ? t('review.confirmed') : t('review.rejected'));
      setSelectedId(after?.id ?? null);
      setRejecting(false);
      setReason(null);
      setNote('');
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        app.toast(t('review.alreadyDecided'), 'error');
        app.store.putOrder(await api<WorkOrder>(`/api/orders/${order.id}`));
      } else {
        app.toast(`${t('error.action')}: ${(err as Error).message}`, 'error');
      }
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };

  const reject = (r: RejectReason) => {
    if (!selected) return;
    setReason(r);
    if (r === 'other') {
      setTimeout(() => noteRef.current?.focus(), 0);
      return;
    }
    void decide(selected, { reason: r });
  };

  useKeys((e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(e)) {
      if (e.key === 'Escape') (e.target as HTMLElement).blur();
      return;
    }
    const key = e.key.toLowerCase();
    // Enter on a focused button is that button's click (Reject must not confirm); queue rows only select.
    if (key === 'enter' && e.target instanceof HTMLButtonElement && !e.target.classList.contains('queue-item')) return;
    if (key === 'arrowdown' || key === 'j') select(index + 1);
    else if (key === 'arrowup' || key === 'k') select(index - 1);
    else if (!selected || !canDecide || busy) return;
    else if (rejecting && /^[1-9]$/.test(key)) {
      const r = settings.rejectReasons[Number(key) - 1];
      if (r) reject(r);
    } else if (key === 'escape') setRejecting(false);
    else if (!rejecting && (key === 'enter' || key === 'c')) void decide(selected, { confirm: true });
    else if (!rejecting && (key === 'r' || key === 'x')) setRejecting(true);
    else return;
    e.preventDefault();
  });

  return (
    <div class="review" data-testid="review">
      <aside class="queue" data-testid="review-queue" aria-label={t('review.queue')}>
        <h2>
          {t('review.queue')} <span class="count" data-testid="review-count">{queue.length}</span>
        </h2>
        {queue.length === 0 && <p class="empty">{store.loaded ? t('review.empty') : t('common.loading')}</p>}
        <ol>
          {queue.map((o, i) => (
            <li key={o.id}>
              <button type="button" class={`queue-item${o === selected ? ' selected' : ''}`} data-testid="review-row" data-order-id={o.id} onClick={() => select(i)}>
                <span class="type">{t(`type.${o.type}`)}</span>
                <span class="where">{app.orderPlace(o)} <SourceBadge source={o.source} /></span>
                <span class="when"><Ago at={o.discoveredAt} /></span>
                <SlaCountdown order={o} />
              </button>
            </li>
          ))}
        </ol>
      </aside>
      {selected ? (
        <section class="review-item" data-testid="review-item" data-order-id={selected.id}>
          <ReviewPhotos order={selected} />
          <div class="review-bottom">
          <dl class="facts">
            <dt>{t('order.type')}</dt><dd>{t(`type.${selected.type}`)} <span class="muted">({selected.label})</span></dd>
            <dt>{t('order.camera')}</dt><dd>{app.orderPlace(selected)} <SourceBadge source={selected.source} /></dd>
            <dt>{t('order.zone')}</dt><dd>{selected.zoneId}</dd>
            <dt>{t('order.confidence')}</dt><dd data-testid="confidence">{Math.round(selected.confidence * 100)}%</dd>
            <dt>{t('order.plate')}</dt><dd><Plate order={selected} /></dd>
            <dt>{t('order.discovered')}</dt><dd><Ago at={selected.discoveredAt} /> · {app.fmt.time(selected.discoveredAt)}</dd>
            <dt>{t('order.timeLeft')}</dt><dd><SlaCountdown order={selected} /></dd>
          </dl>
          {canDecide ? (
            <div class="decide">
              {!rejecting ? (
                <div class="actions">
                  <button type="button" class="primary big" data-testid="confirm" disabled={busy} onClick={() => void decide(selected, { confirm: true })}>
                    {t('review.confirm')} <kbd>Enter</kbd>
                  </button>
                  <button type="button" class="danger big" data-testid="reject" disabled={busy} onClick={() => setRejecting(true)}>
                    {t('review.reject')} <kbd>R</kbd>
                  </button>
                </div>
              ) : (
                <form
                  class="reasons"
                  data-testid="reject-reasons"
                  onSubmit={(e) => {
                    e.preventDefault();
                    if (reason === 'other' && note.trim()) void decide(selected, { reason, note: note.trim() });
                  }}
                >
                  <p>{t('review.pickReason')}</p>
                  {settings.rejectReasons.map((r, i) => (
                    <button type="button" key={r} class={`reason${reason === r ? ' selected' : ''}`} data-testid={`reason-${r}`} disabled={busy} onClick={() => reject(r)}>
                      <kbd>{i + 1}</kbd> {t(`reason.${r}`)}
                    </button>
                  ))}
                  {reason === 'other' && (
                    <div class="other">
                      <input ref={noteRef} data-testid="reject-note" value={note} maxLength={1000} placeholder={t('review.otherNote')} onInput={(e) => setNote(e.currentTarget.value)} />
                      <button type="submit" class="danger" disabled={busy || !note.trim()}>{t('review.rejectSubmit')}</button>
                    </div>
                  )}
                  <button type="button" class="link" onClick={() => setRejecting(false)}>{t('common.cancel')} <kbd>Esc</kbd></button>
                </form>
              )}
              <p class="hint">{t('review.keys')}</p>
            </div>
          ) : (
            <p class="hint">{t('review.readOnly')}</p>
          )}
          </div>
        </section>
      ) : (
        <section class="review-item empty-state"><p>{t('review.nothingSelected')}</p></section>
      )}
    </div>
  );
}

/** The discovery pair (frame with the box drawn, close-up), and the plate close-up when there is one. */
function ReviewPhotos({ order }: { order: WorkOrder }) {
  const { t } = useApp();
  const full = order.evidence.find((e) => e.kind === 'full');
  const crop = order.evidence.find((e) => e.kind === 'crop');
  const plate = order.evidence.filter((e) => e.kind === 'plate').at(-1);
  return (
    <div class="photos">
      {full ? <Photo className="photo full" sha256={full.sha256} alt={t('photo.full')} /> : <div class="photo missing">{t('photo.none')}</div>}
      <div class="photo-side">
        {crop && <Photo className="photo crop" sha256={crop.sha256} alt={t('photo.crop')} />}
        {plate && <Photo className="photo plate-photo" sha256={plate.sha256} alt={t('photo.plate')} />}
      </div>
    </div>
  );
}
