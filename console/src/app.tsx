/**
 * The console shell: sign-in, then the header (screens, live link, centre clock, language, user)
 * around the screen the URL's hash names. The live stream starts with the shell; each
 * (re)connection reloads the lists, and a lost one shows a banner until it is back.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from './api';
import type { Settings, User } from './api-types';
import { useNow } from './clock';
import { Ctx, useApp, type AppContext } from './context';
import { deviceHealth } from './device-health';
import { makeFormatter } from './format';
import { translate, type Key, type Lang } from './i18n';
import { connectLive, type LinkState } from './live';
import { SessionGate } from './session-gate';
import { BOARD_STATES, ConsoleStore, useStore } from './store';
import { BoardView } from './views/board';
import { DevicesView } from './views/devices';
import { ExemptPlatesView } from './views/exempt-plates';
import { KpisView } from './views/kpis';
import { LangSwitch } from './views/lang-switch';
import { ReviewView } from './views/review';
import { ChangePassword } from './views/change-password';
import { UsersView } from './views/users';
import { ZonesView } from './views/zones';
import { reopenedNow } from './verification';
import { orderPlace } from './order-place';

type Screen = 'review' | 'board' | 'devices' | 'zones' | 'kpis' | 'exempt' | 'users';
const SCREENS: Screen[] = ['review', 'board', 'devices', 'zones', 'kpis', 'exempt', 'users'];
/** Screens whose API a role may not read, kept out of its menu. */
const HIDDEN: Partial<Record<User['role'], Screen[]>> = { operator: ['users'], supervisor: ['users'], officer: ['exempt', 'users'], metrics: ['users'] };
const TOAST_MS = 4000;

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash;
}

export function App() {
  return <SessionGate titleKey="app.title" render={(s) => <Shell key={s.user.name} user={s.user} settings={s.settings} lang={s.lang} setLang={s.setLang} onSignOut={s.onSignOut} />} />;
}

function Shell({ user, settings, lang, setLang, onSignOut }: { user: User; settings: Settings; lang: Lang; setLang: (l: Lang) => void; onSignOut: () => void }) {
  const store = useMemo(() => new ConsoleStore(), []);
  const [link, setLink] = useState<LinkState>({ state: 'connecting' });
  const [toasts, setToasts] = useState<Array<{ id: number; message: string; tone: 'info' | 'error' }>>([]);
  const hash = useHash();
  const [, route = user.role === 'officer' ? 'board' : 'review', param = null] = hash.split('/') as [string, Screen?, string?];
  const screen: Screen = SCREENS.includes(route as Screen) ? (route as Screen) : 'review';

  const ctx = useMemo<AppContext>(() => {
    const t = (key: Key, params?: Record<string, string | number>) => translate(lang, key, params);
    const cameras = new Map(settings.cameras.map((c) => [`${c.deviceId}/${c.cameraId}`, c.name]));
    const cameraName = (d: string, c: string) => cameras.get(`${d}/${c}`) ?? `${d}/${c}`;
    const officers = new Map(settings.teams.flatMap((tm) => tm.officers.map((o) => [o.id, o.name ?? o.id] as const)));
    return {
      user,
      settings,
      store,
      lang,
      t,
      fmt: makeFormatter(lang, settings.timezone),
      cameraName,
      orderPlace: (o) => orderPlace(o, cameraName),
      officerName: (id) => (id === null ? t('order.unassigned') : (officers.get(id) ?? id)),
      toast: (message, tone = 'info') => {
        const id = Date.now() + Math.random();
        setToasts((ts) => [...ts, { id, message, tone }]);
        setTimeout(() => setToasts((ts) => ts.filter((x) => x.id !== id)), TOAST_MS);
      },
    };
  }, [lang, user, settings, store]);

  // The stream outlives renders; it speaks through the latest context (a language switch included).
  const latest = useRef(ctx);
  latest.current = ctx;
  // A layout effect: connect right after the first render, not a frame later.
  useLayoutEffect(() => {
    let lost = false;
    return connectLive({
      event: (e) => {
        store.apply(e);
        // The supervisor's live notice of a reopen (the webhook tells them too).
        if (e.kind === 'order' && reopenedNow(e.order)) {
          const { toast, t, orderPlace } = latest.current;
          toast(t('verification.reopenedToast', { type: t(`type.${e.order.type}`), camera: orderPlace(e.order) }), 'error');
        }
      },
      opened: () => {
        const { toast, t } = latest.current;
        store.reload().catch((err: Error) => toast(`${t('error.load')}: ${err.message}`, 'error'));
        if (lost) toast(t('live.back'));
        lost = false;
      },
      link: (s) => {
        if (s.state === 'reconnecting') lost = true;
        setLink(s);
      },
    });
  }, [store]);

  const [changing, setChanging] = useState(false);
  const signOut = async () => {
    await api('/api/session', { method: 'DELETE' }).catch(() => undefined);
    onSignOut();
  };

  return (
    <Ctx.Provider value={ctx}>
      <div class="app">
        <header class="top">
          <h1>{ctx.t('app.title')}</h1>
          <Nav screen={screen} />
          <div class="top-right">
            <LiveDot link={link} />
            <CenterClock />
            <LangSwitch lang={lang} setLang={setLang} />
            <span class="user" data-testid="user">{user.displayName ?? user.name} · {ctx.t(`role.${user.role}`)}</span>
            {user.displayName !== undefined && !user.oidc && <button type="button" class="link" data-testid="change-password-open" onClick={() => setChanging(true)}>{ctx.t('password.title')}</button>}
            <button type="button" class="link" data-testid="sign-out" onClick={() => void signOut()}>{ctx.t('signIn.signOut')}</button>
          </div>
        </header>
        {link.state === 'reconnecting' && <ReconnectBanner link={link} />}
        {changing && <ChangePassword t={ctx.t} forced={false} onDone={() => setChanging(false)} onCancel={() => setChanging(false)} />}
        <main class={`screen screen-${screen}`}>
          {screen === 'review' && <ReviewView />}
          {screen === 'board' && <BoardView orderId={param} />}
          {screen === 'devices' && <DevicesView />}
          {screen === 'zones' && <ZonesView />}
          {screen === 'kpis' && <KpisView />}
          {screen === 'exempt' && <ExemptPlatesView />}
          {screen === 'users' && <UsersView />}
        </main>
        <div class="toasts" role="status" aria-live="polite">
          {toasts.map((x) => <div key={x.id} class={`toast ${x.tone}`} data-testid="toast">{x.message}</div>)}
        </div>
      </div>
    </Ctx.Provider>
  );
}

function Nav({ screen }: { screen: Screen }) {
  const app = useApp();
  const store = useStore(app.store);
  const now = useNow();
  let review = 0;
  let board = 0;
  for (const o of store.orders.values()) {
    if (o.state === 'pending_review') review++;
    else if (BOARD_STATES.includes(o.state)) board++;
  }
  const offline = [...store.devices.values()].filter((d) => deviceHealth(d, now) === 'offline').length;
  const badge: Partial<Record<Screen, { n: number; alarm?: boolean }>> = { review: { n: review }, board: { n: board }, devices: { n: offline, alarm: true } };
  return (
    <nav>
      {SCREENS.filter((s) => !HIDDEN[app.user.role]?.includes(s)).map((s) => (
        <a key={s} href={`#/${s}`} class={s === screen ? 'active' : ''} data-testid={`nav-${s}`}>
          {app.t(`nav.${s}`)}
          {badge[s] && badge[s].n > 0 && <span class={`count${badge[s].alarm ? ' alarm' : ''}`}>{badge[s].n}</span>}
        </a>
      ))}
    </nav>
  );
}

function LiveDot({ link }: { link: LinkState }) {
  const { t } = useApp();
  return <span class={`live ${link.state}`} data-testid="live" data-state={link.state}><i class="dot" />{t(`live.${link.state}`)}</span>;
}

function ReconnectBanner({ link }: { link: Extract<LinkState, { state: 'reconnecting' }> }) {
  const { t } = useApp();
  const now = useNow();
  return (
    <div class="banner" role="alert" data-testid="reconnecting">
      {t('live.lost', { attempt: link.attempt, seconds: Math.max(0, Math.ceil((link.retryAt - now) / 1000)) })}
    </div>
  );
}

function CenterClock() {
  const { fmt, settings } = useApp();
  const now = useNow();
  return <span class="clock mono" title={settings.timezone}>{fmt.time(now)}</span>;
}
