/**
 * One of the officer's orders: SLA light and time left, state, who reported it (a citizen, an
 * inspector) and whether the camera sent it back, what and where (plate, zone, address, distance,
 * navigation links), the evidence photos, and the next step. Resolving needs a scene photo;
 * "unable to handle" asks why.
 */
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, evidenceUrl } from '../api';
import type { Settings, UnableReason, WorkOrder } from '../api-types';
import { sourceBadge, stateBadge, verificationBadgeOf, type Translate } from '../badges';
import { countdown } from '../format';
import type { Key } from '../i18n';
import { slaLight, timeLeftMs } from '../sla';
import { mapLinks, orderDistanceKm, type Position } from './my-orders';

/** The next step of each state the officer works in. */
const NEXT: Partial<Record<WorkOrder['state'], { to: WorkOrder['state']; label: Key }>> = {
  dispatched: { to: 'accepted', label: 'action.accept' },
  accepted: { to: 'on_site', label: 'action.onSite' },
  on_site: { to: 'resolved', label: 'action.resolve' },
};
const PHOTOS_SHOWN = 3;

export interface CardProps {
  order: WorkOrder;
  now: number;
  here: Position | null;
  settings: Settings;
  t: Translate;
  /** Scene photos still queued for upload. */
  pendingPhotos: number;
  onPhoto(orderId: string, file: File): void;
  onChanged(order: WorkOrder): void;
}

export function OrderCard({ order: o, now, here, settings, t, pendingPhotos, onPhoto, onChanged }: CardProps) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [unable, setUnable] = useState(false);
  const [reason, setReason] = useState<UnableReason>(settings.unableReasons[0]);
  const [note, setNote] = useState('');
  const light = slaLight(Date.parse(o.discoveredAt), now, settings.sla);
  const left = timeLeftMs(Date.parse(o.deadlineAt), now);
  const minutes = Math.abs(Math.round(left / 60_000));
  const km = orderDistanceKm(o, here);
  // A reported order has no zone; say only what is known.
  const where = [
    o.zoneId && `${t('officer.zone')} ${o.zoneId}`,
    o.location?.address,
    km !== null && <span data-testid="distance">{t('officer.distance', { km: km.toFixed(1) })}</span>,
  ].filter(Boolean);
  const officerPhotos = o.evidence.filter((e) => e.kind === 'officer').length;
  const next = NEXT[o.state];
  // A refusal is about the order as it was: a new photo or state makes it stale.
  useEffect(() => setError(null), [o.updatedAt]);

  const move = async (body: Record<string, string>) => {
    setBusy(true);
    setError(null);
    try {
      onChanged(await api<WorkOrder>(`/api/orders/${o.id}/transitions`, { method: 'POST', body }));
      setUnable(false);
    } catch (err) {
      setError(err instanceof ApiError && err.code === 'PHOTO_REQUIRED' ? t('officer.photoNeeded') : `${t('error.action')}: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <article class={`card light-${light}`} data-testid="officer-order" data-order-id={o.id} data-state={o.state}>
      <header>
        <span class={`sla sla-${light}`} data-testid="sla" data-light={light}><i class="dot" aria-hidden="true" /> {t(left < 0 ? 'officer.overdue' : 'officer.timeLeft', { min: minutes })} <span class="mono">{countdown(left)}</span></span>
        <span class="badges">{stateBadge(o.state, t)}{sourceBadge(o.source, t)}{verificationBadgeOf(o, t)}</span>
      </header>
      <h2>{t(`type.${o.type}`)} · <span data-testid="plate">{o.plate?.text ?? t('officer.noPlate')}</span></h2>
      <p class="where" data-testid="where">{where.map((part, i) => <Fragment key={i}>{i > 0 && ' · '}{part}</Fragment>)}</p>
      {o.location && (
        <p class="nav">
          <a class="button" href={mapLinks(o.location).web} target="_blank" rel="noopener" data-testid="navigate">{t('officer.navigate')}</a>
          <a class="button" href={mapLinks(o.location).geo}>geo:</a>
        </p>
      )}
      <div class="photos">
        {o.evidence.slice(-PHOTOS_SHOWN).map((e) => <img key={e.evidenceId} src={evidenceUrl(e.sha256)} alt={t(`photo.${e.kind}`)} loading="lazy" width={96} height={72} />)}
      </div>
      {(o.state === 'on_site' || officerPhotos > 0) && <p class="muted" data-testid="officer-photos" data-count={officerPhotos}>{t('officer.photos', { n: officerPhotos })}</p>}
      {pendingPhotos > 0 && <p class="pending" data-testid="pending-photos" data-count={pendingPhotos}>{t('officer.pending', { n: pendingPhotos })}</p>}
      {error && <p class="error" role="alert" data-testid="card-error">{error}</p>}
      <div class="actions">
        {o.state === 'on_site' && (
          <label class="button photo">
            {t('officer.takePhoto')}
            <input type="file" accept="image/jpeg,image/*" capture="environment" data-testid="photo-input" hidden
              onChange={(e) => {
                const file = e.currentTarget.files?.[0];
                if (file) onPhoto(o.id, file);
                e.currentTarget.value = '';
              }} />
          </label>
        )}
        {next && <button type="button" class="primary" disabled={busy} data-testid={`move-${next.to}`} onClick={() => void move({ to: next.to })}>{t(next.label)}</button>}
        {next && !unable && <button type="button" class="danger" data-testid="unable-open" onClick={() => setUnable(true)}>{t('officer.unable')}</button>}
      </div>
      {unable && (
        <form class="unable" data-testid="unable-form" onSubmit={(e) => { e.preventDefault(); void move({ to: 'unable', reason, ...(note.trim() ? { note: note.trim() } : {}) }); }}>
          <label>{t('officer.unableReason')}
            <select data-testid="unable-reason" value={reason} onChange={(e) => setReason(e.currentTarget.value as typeof reason)}>
              {settings.unableReasons.map((r) => <option key={r} value={r}>{t(`unable.${r}`)}</option>)}
            </select>
          </label>
          <label>{t('officer.unableNote')}<input type="text" maxLength={500} value={note} onInput={(e) => setNote(e.currentTarget.value)} /></label>
          <div class="actions">
            <button type="button" onClick={() => setUnable(false)}>{t('officer.back')}</button>
            <button type="submit" class="danger" disabled={busy} data-testid="unable-send">{t('officer.unableSend')}</button>
          </div>
        </form>
      )}
    </article>
  );
}
