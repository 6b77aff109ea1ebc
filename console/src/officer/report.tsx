/**
 * "Report a problem", for grid inspectors: the problem's type (those POST /api/reports takes), a
 * photo from the phone's camera, the phone's position with its accuracy, an optional plate and
 * description. A report goes into the user's report queue first (report-queue.ts), which the app
 * runs (user-queue.ts), so one made in a dead spot goes when the network is back, whichever screen
 * is shown; "my reports" then shows the order it opened or joined, as the centre lists them for the
 * user (the phone's last copy while offline).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ulid } from 'ulid';
import { api } from '../api';
import type { ViolationType, WorkOrder } from '../api-types';
import { stateBadge } from '../badges';
import type { SignedIn } from '../session-gate';
import { AppBar } from './app-bar';
import { myReports, parseSent, queuedStatus, remember, SENT_KEPT, sentReport, type SentReport } from './my-reports';
import { fixOf, fixOfError, missing, type Fix } from './report-draft';
import type { QueuedReport } from './report-queue';
import { scalePhoto } from './scale-photo';
import type { UserQueue } from './user-queue';

/** Where the phone keeps its last copy of the user's sent reports. */
const sentKey = (user: string) => `streetwatch.officer.sentReports.${user}`;

/** Adds a report the centre took to the phone's copy of the user's sent reports. */
export const keepSentReport = (user: string, s: SentReport): void =>
  localStorage.setItem(sentKey(user), JSON.stringify(remember(parseSent(localStorage.getItem(sentKey(user))), s)));

/** The phone's position as it changes; why there is none when it cannot tell. */
function useFix(): Fix {
  const [fix, setFix] = useState<Fix>({ state: 'waiting' });
  useEffect(() => {
    if (!('geolocation' in navigator)) return setFix({ state: 'unavailable' });
    const id = navigator.geolocation.watchPosition((p) => setFix(fixOf(p.coords)), (e) => setFix(fixOfError(e.code)), { enableHighAccuracy: true, maximumAge: 30_000 });
    return () => navigator.geolocation.clearWatch(id);
  }, []);
  return fix;
}

/** The photo chosen and its preview link (released when replaced). */
function usePhoto(): [{ blob: Blob; url: string } | null, (b: Blob | null) => void] {
  const [photo, setPhoto] = useState<{ blob: Blob; url: string } | null>(null);
  useEffect(() => () => photo && URL.revokeObjectURL(photo.url), [photo]);
  return [photo, (b) => setPhoto(b && { blob: b, url: URL.createObjectURL(b) })];
}

export function ReportScreen(props: SignedIn & { tabs: ComponentChildren; reports: UserQueue<QueuedReport, WorkOrder> }) {
  const { user, settings, t, tabs, reports } = props;
  const fix = useFix();
  const [photo, setPhoto] = usePhoto();
  const [type, setType] = useState<ViolationType>(settings.reportTypes[0]);
  const [plate, setPlate] = useState('');
  const [description, setDescription] = useState('');
  const [sent, setSent] = useState<SentReport[]>(() => parseSent(localStorage.getItem(sentKey(user.name))));
  const [orders, setOrders] = useState<ReadonlyMap<string, WorkOrder>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const putOrder = (o: WorkOrder) => setOrders((cur) => new Map(cur).set(o.id, o));
  // Sent while the centre's list was on its way: that list may predate them.
  const sentHere = useRef<SentReport[]>([]);
  const keepSent = (next: SentReport[]) => {
    localStorage.setItem(sentKey(user.name), JSON.stringify(next));
    return next;
  };

  useEffect(() => {
    // The user's reports as the centre has them (sent from any phone), their orders as they are now.
    void api<{ items: WorkOrder[] }>(`/api/orders?reporter=me&limit=${SENT_KEPT}`).then((page) => {
      setOrders((cur) => new Map([...page.items.map((o) => [o.id, o] as const), ...cur]));
      setSent(keepSent(sentHere.current.reduce(remember, myReports(page.items, user.name))));
    }, () => undefined);
    // The app keeps the phone's copy (app.tsx); this screen shows the report and its order.
    return reports.onSent((r, order) => {
      if (!order) return;
      putOrder(order);
      const s = sentReport(r.id, order);
      sentHere.current.push(s);
      setSent((cur) => remember(cur, s));
    });
  }, []);

  const blockers = missing({ photo: photo?.blob ?? null, fix });
  const submit = (e: Event) => {
    e.preventDefault();
    if (!reports.add || !photo || fix.state !== 'ok') return;
    setError(null);
    // The form is cleared only once the phone holds the report (storage may be full).
    reports.add({ id: ulid(), type, lat: fix.lat, long: fix.long, plate, description, photo: photo.blob }).then(() => {
      setPhoto(null);
      setPlate('');
      setDescription('');
    }, (err: Error) => setError(err.message));
  };

  return (
    <main class="officer" data-testid="report-screen">
      <AppBar s={props} title={t('report.title')} />
      {tabs}
      {!reports.kept && <p class="banner" role="status" data-testid="not-kept">{t('officer.notKept')}</p>}
      <form class="report" data-testid="report-form" onSubmit={submit}>
        <label>{t('report.type')}
          <select data-testid="report-type" value={type} onChange={(e) => setType(e.currentTarget.value as ViolationType)}>
            {settings.reportTypes.map((x) => <option key={x} value={x}>{t(`type.${x}`)}</option>)}
          </select>
        </label>
        <div class="actions">
          <label class="button photo">
            {t(photo ? 'report.retake' : 'report.takePhoto')}
            <input type="file" accept="image/*" capture="environment" data-testid="report-photo" hidden
              onChange={(e) => {
                const file = e.currentTarget.files?.[0];
                e.currentTarget.value = '';
                if (file) void scalePhoto(file).then(setPhoto, (err: Error) => setError(err.message));
              }} />
          </label>
          {photo && <img class="preview" src={photo.url} alt={t('photo.report')} data-testid="report-preview" />}
        </div>
        <p class={`where fix-${fix.state}`} data-testid="report-location" data-state={fix.state} role={fix.state === 'denied' || fix.state === 'unavailable' ? 'alert' : undefined}>
          <span class="label">{t('report.location')}</span> {fix.state === 'ok'
            ? t('report.located', { lat: fix.lat.toFixed(5), long: fix.long.toFixed(5), m: Math.round(fix.accuracyM) })
            : t(fix.state === 'waiting' ? 'report.locating' : fix.state === 'denied' ? 'report.locationDenied' : 'report.locationUnavailable')}
        </p>
        <label>{t('report.plate')}<input type="text" maxLength={20} autocapitalize="characters" data-testid="report-plate" value={plate} onInput={(e) => setPlate(e.currentTarget.value)} /></label>
        <label>{t('report.description')}<textarea maxLength={4000} rows={2} data-testid="report-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} /></label>
        {blockers.length > 0 && <p class="muted" data-testid="report-missing">{blockers.map((k) => t(k)).join(' ')}</p>}
        {error && <p class="error" role="alert" data-testid="report-error">{error}</p>}
        {reports.refusal && <p class="error" role="alert" data-testid="report-refused">{t('report.refused', { reason: reports.refusal })}</p>}
        <button type="submit" class="primary" disabled={blockers.length > 0 || !reports.add} data-testid="report-send">{t('report.send')}</button>
      </form>
      <section class="my-reports">
        <h2>{t('report.mine')}</h2>
        {reports.items.length === 0 && sent.length === 0 && <p class="empty">{t('report.none')}</p>}
        <ul>
          {[...reports.items].reverse().map((r) => (
            <li key={r.id} class="pending" data-testid="my-report" data-report-id={r.id} data-status={queuedStatus(r)}>
              {t(`type.${r.type}`)} · {t(`report.${queuedStatus(r)}`)}
            </li>
          ))}
          {sent.map((r) => {
            const order = orders.get(r.orderId);
            return (
              <li key={r.reportId} data-testid="my-report" data-report-id={r.reportId} data-status="sent" data-order-id={r.orderId} data-state={order?.state}>
                {order && <>{t(`type.${order.type}`)} · </>}{t(`report.${r.outcome}`, { id: r.orderId })}
                {order && <> {stateBadge(order.state, t, 'report-order-state')}</>}
              </li>
            );
          })}
        </ul>
      </section>
    </main>
  );
}
