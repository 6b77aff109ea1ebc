/**
 * What both apps (the console and the officer app) show before their own screens: the language
 * choice (kept in the browser), the session check, the sign-in form, and a forced change of a
 * one-time password. Once signed in, `render` draws the app for the user.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, whenSignedOut } from './api';
import type { Settings, User } from './api-types';
import { initialLang, LANG_STORAGE_KEY, translate, type Key, type Lang } from './i18n';
import { ChangePassword } from './views/change-password';
import { SignIn } from './views/sign-in';

export interface SignedIn {
  user: User;
  settings: Settings;
  lang: Lang;
  setLang: (l: Lang) => void;
  t: (key: Key, params?: Record<string, string | number>) => string;
  onSignOut: () => void;
}

export function SessionGate({ titleKey, render }: { titleKey: Key; render: (s: SignedIn) => JSX.Element }) {
  const [lang, setLangState] = useState<Lang>(() => initialLang(localStorage.getItem(LANG_STORAGE_KEY)));
  const [session, setSession] = useState<{ user: User; settings: Settings } | { mustChange: User } | 'checking' | 'signed-out'>('checking');
  const t = (key: Key, params?: Record<string, string | number>) => translate(lang, key, params);
  const setLang = (l: Lang) => {
    localStorage.setItem(LANG_STORAGE_KEY, l);
    setLangState(l);
  };

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = translate(lang, titleKey);
  }, [lang]);

  const start = async (user?: User) => {
    try {
      // With no session this answers 401 and the sign-in form shows; a one-time password must be changed first.
      const me = user ?? (await api<{ user: User }>('/api/session')).user;
      if (me.mustChangePassword) return setSession({ mustChange: me });
      setSession({ user: me, settings: await api<Settings>('/api/console/settings') });
    } catch {
      setSession('signed-out');
    }
  };
  useEffect(() => {
    whenSignedOut(() => setSession('signed-out'));
    void start();
  }, []);

  if (session === 'checking') return <main class="splash">{t('common.loading')}</main>;
  if (session === 'signed-out') return <SignIn t={t} lang={lang} setLang={setLang} onSignedIn={(u) => void start(u)} />;
  if ('mustChange' in session) return <main class="sign-in"><ChangePassword t={t} forced onDone={(u) => void start(u)} /></main>;
  return render({ ...session, lang, setLang, t, onSignOut: () => setSession('signed-out') });
}
