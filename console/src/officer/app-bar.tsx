/** The top bar of every screen of the phone app: its title, then the language and the sign-out. */
import type { ComponentChildren } from 'preact';
import { api } from '../api';
import type { SignedIn } from '../session-gate';
import { LangSwitch } from '../views/lang-switch';

export function AppBar({ s, title, children }: { s: SignedIn; title: ComponentChildren; children?: ComponentChildren }) {
  const signOut = async () => {
    await api('/api/session', { method: 'DELETE' }).catch(() => undefined);
    s.onSignOut();
  };
  return (
    <header class="bar">
      <h1>{title}</h1>
      {children}
      <LangSwitch lang={s.lang} setLang={s.setLang} />
      <button type="button" class="link" onClick={() => void signOut()}>{s.user.displayName ?? s.user.name} · {s.t('signIn.signOut')}</button>
    </header>
  );
}
