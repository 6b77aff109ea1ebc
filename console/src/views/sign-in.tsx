/**
 * The sign-in form: a user name and password buy an HttpOnly session cookie. Users of the
 * centre's config file type their token as the password; with no name, the token alone is enough.
 */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import type { User } from '../api-types';
import type { Key, Lang } from '../i18n';
import { LangSwitch } from './lang-switch';

export function SignIn({ t, lang, setLang, onSignedIn }: { t: (k: Key) => string; lang: Lang; setLang: (l: Lang) => void; onSignedIn: (u: User) => void }) {
  const [name, setName] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = name.trim() ? { name: name.trim(), password: secret } : { token: secret.trim() };
      const { user } = await api<{ user: User }>('/api/session', { method: 'POST', body });
      onSignedIn(user);
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      setError(status === 401 ? t('signIn.wrong') : status === 429 ? t('signIn.locked') : `${t('signIn.failed')}: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <form onSubmit={submit} data-testid="sign-in">
        <h1>{t('app.title')}</h1>
        <p class="muted">{t('signIn.intro')}</p>
        <label>
          {t('signIn.name')}
          <input type="text" autocomplete="username" data-testid="name" value={name} onInput={(e) => setName(e.currentTarget.value)} autofocus />
        </label>
        <label>
          {t('signIn.token')}
          <input type="password" autocomplete="current-password" data-testid="token" value={secret} onInput={(e) => setSecret(e.currentTarget.value)} required />
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" class="primary big" data-testid="sign-in-submit" disabled={busy || !secret.trim()}>{t('signIn.submit')}</button>
        <LangSwitch lang={lang} setLang={setLang} />
      </form>
    </main>
  );
}
