/** The sign-in form: a user's API token from the centre config buys an HttpOnly session cookie. */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import type { User } from '../api-types';
import type { Key, Lang } from '../i18n';
import { LangSwitch } from './lang-switch';

export function SignIn({ t, lang, setLang, onSignedIn }: { t: (k: Key) => string; lang: Lang; setLang: (l: Lang) => void; onSignedIn: (u: User) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { user } = await api<{ user: User }>('/api/session', { method: 'POST', body: { token: token.trim() } });
      onSignedIn(user);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? t('signIn.wrong') : `${t('signIn.failed')}: ${(err as Error).message}`);
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
          {t('signIn.token')}
          <input type="password" autocomplete="current-password" data-testid="token" value={token} onInput={(e) => setToken(e.currentTarget.value)} required autofocus />
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" class="primary big" data-testid="sign-in-submit" disabled={busy || !token.trim()}>{t('signIn.submit')}</button>
        <LangSwitch lang={lang} setLang={setLang} />
      </form>
    </main>
  );
}
