/**
 * The phone app (served at /app/): sign in with the console's form, then the screens the user's
 * account has (screens.ts). "My orders", for officers: the orders assigned to them that are still
 * theirs to handle, most urgent and nearest first, kept current by the live stream of their own
 * orders. "Report a problem", for grid inspectors (report.tsx). Scene photos and reports go
 * through the user's upload queues (user-queue.ts), so a dead spot on the street loses none; the
 * app runs them whichever screen is shown.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { allPages } from '../api';
import type { WorkOrder } from '../api-types';
import { useNow } from '../clock';
import { connectLive, type LinkState } from '../live';
import { SessionGate, type SignedIn } from '../session-gate';
import { AppBar } from './app-bar';
import { sentReport } from './my-reports';
import { sortMyOrders, type Position } from './my-orders';
import { OrderCard } from './order-card';
import { photoId, stateOf, uploadPhoto, type QueuedPhoto } from './photo-queue';
import { PushToggle } from './push';
import { keepSentReport, ReportScreen } from './report';
import { uploadReport, type QueuedReport } from './report-queue';
import { scalePhoto } from './scale-photo';
import { screensFor, type Screen } from './screens';
import { useUserQueue, type UserQueue } from './user-queue';

/** The states in which an order is the officer's to work on. */
const MINE: readonly WorkOrder['state'][] = ['dispatched', 'accepted', 'on_site'];

export function OfficerApp() {
  return <SessionGate titleKey="officer.title" render={(s) => <Home key={s.user.name} {...s} />} />;
}

const SCREEN_TITLE = { orders: 'officer.myOrders', report: 'report.title' } as const;

/** The user's screens, with tabs between them when there are two, and the queues they need. */
function Home(s: SignedIn) {
  const screens = screensFor(s.user, s.settings.reporterRoles);
  const [screen, setScreen] = useState<Screen | undefined>(screens[0]);
  const photos = useUserQueue<QueuedPhoto, WorkOrder>('photos', s.user.name, uploadPhoto, screens.includes('orders'));
  const reports = useUserQueue<QueuedReport, WorkOrder>('reports', s.user.name, uploadReport, screens.includes('report'));
  // A report sent while another screen is shown still joins the phone's copy of "my reports".
  useEffect(() => reports.onSent((r, order) => order && keepSentReport(s.user.name, sentReport(r.id, order))), []);
  const tabs = screens.length > 1 && (
    <nav class="segmented tabs" data-testid="screens">
      {screens.map((x) => <button type="button" key={x} class={x === screen ? 'selected' : ''} data-testid={`screen-${x}`} onClick={() => setScreen(x)}>{s.t(SCREEN_TITLE[x])}</button>)}
    </nav>
  );
  if (screen === 'orders') return <MyOrders {...s} tabs={tabs} photos={photos} />;
  if (screen === 'report') return <ReportScreen {...s} tabs={tabs} reports={reports} />;
  return <main class="officer"><AppBar s={s} title={s.t('officer.title')} /><p class="empty" data-testid="no-screens">{s.t('officer.noScreens')}</p></main>;
}

function useHere(): Position | null {
  const [here, setHere] = useState<Position | null>(null);
  useEffect(() => {
    if (!('geolocation' in navigator)) return;
    const id = navigator.geolocation.watchPosition((p) => setHere({ lat: p.coords.latitude, long: p.coords.longitude }), () => setHere(null), { maximumAge: 60_000 });
    return () => navigator.geolocation.clearWatch(id);
  }, []);
  return here;
}

function MyOrders(props: SignedIn & { tabs: ComponentChildren; photos: UserQueue<QueuedPhoto, WorkOrder> }) {
  const { user, settings, t, tabs, photos } = props;
  const [orders, setOrders] = useState<ReadonlyMap<string, WorkOrder>>(new Map());
  const [loaded, setLoaded] = useState(false);
  const [link, setLink] = useState<LinkState>({ state: 'connecting' });
  const [error, setError] = useState<string | null>(null);
  const now = useNow();
  const here = useHere();

  const put = (o: WorkOrder) =>
    setOrders((cur) => {
      const old = cur.get(o.id);
      if (old && old.updatedAt > o.updatedAt) return cur;
      const next = new Map(cur);
      if (o.assignee === user.officerId && MINE.includes(o.state)) next.set(o.id, o);
      else next.delete(o.id);
      return next;
    });

  useEffect(() => {
    const reload = async () => {
      const items = await allPages<WorkOrder>(`/api/orders?assignee=me&state=${MINE.join(',')}`);
      setOrders(new Map(items.map((o) => [o.id, o])));
      setLoaded(true);
    };
    return connectLive({ event: (e) => e.kind === 'order' && put(e.order), opened: () => void reload().catch(() => undefined), link: setLink }, '/api/events?scope=mine');
  }, []);

  // The order as it now is (its photo count) comes back on the live stream too; the answer is in case that is down.
  useEffect(() => photos.onSent((_p, order) => order && put(order)), []);

  const sorted = useMemo(() => sortMyOrders([...orders.values()], now, settings.sla, here), [orders, Math.floor(now / 10_000), here]);
  const queue = stateOf(photos.items);
  const retrying = [...queue.pending.values()].reduce((a, b) => a + b, 0);
  const refusal = error ?? photos.refusal;

  return (
    <main class="officer" data-testid="officer-app">
      <AppBar s={props} title={<>{t('officer.myOrders')} <span class="count" data-testid="order-count">{sorted.length}</span></>}>
        <span class={`live live-${link.state}`} data-testid="live" data-state={link.state} />
      </AppBar>
      {tabs}
      {link.state === 'reconnecting' && <p class="banner" role="status">{t('officer.offline')}</p>}
      {!photos.kept && <p class="banner" role="status" data-testid="not-kept">{t('officer.notKept')}</p>}
      {queue.retrying && <p class="banner" role="status" data-testid="photos-retrying">{t('officer.retrying', { n: retrying })}</p>}
      {refusal && <p class="error" role="alert">{refusal}</p>}
      <PushToggle t={t} />
      {sorted.length === 0 && <p class="empty">{loaded ? t('officer.empty') : t('common.loading')}</p>}
      {sorted.map((o) => (
        <OrderCard key={o.id} order={o} now={now} here={here} settings={settings} t={t} pendingPhotos={queue.pending.get(o.id) ?? 0} onChanged={put}
          onPhoto={(id, file) => {
            setError(null);
            scalePhoto(file).then((blob) => photos.add?.({ id: photoId(Date.now()), orderId: id, blob })).catch((err: Error) => setError(err.message));
          }} />
      ))}
    </main>
  );
}
