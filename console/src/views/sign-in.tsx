/**
 * The sign-in form: a user name and password buy an HttpOnly session cookie. Users of the
 * centre's config file type their token as the password; with no name, the token alone is enough.
 * When the centre has an identity provider, a button above the form signs in there instead; a
 * refused provider sign-in comes back as `?signInError=<code>`, shown here in words.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import type { SignInOptions, User } from '../api-types';
import { DICTIONARIES, type Key, type Lang } from '../i18n';
import { LangSwitch } from './lang-switch';

const ERROR_PARAM = 'signInError';

/** The code the provider sign-in came back with, taken off the address so a reload does not show it again. */
function takeProviderError(): string | null {
  const params = new URLSearchParams(location.search);
  const code = params.get(ERROR_PARAM);
  if (code === null) return null;
  params.delete(ERROR_PARAM);
  const rest = params.toString();
  history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
  return code;
}

const providerErrorKey = (code: string): Key => {
  const key = `signIn.error.${code}`;
  return key in DICTIONARIES.en ? (key as Key) : 'signIn.error.failed';
};

type T = (k: Key, params?: Record<string, string | number>) => string;

export function SignIn({ t, lang, setLang, onSignedIn }: { t: T; lang: Lang; setLang: (l: Lang) => void; onSignedIn: (u: User) => void }) {
  const [name, setName] = useState('');
  const [secret, setSecret] = useState('');
  const [providerError] = useState(takeProviderError);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [oidc, setOidc] = useState<SignInOptions['oidc']>(null);
  useEffect(() => {
    // Without the options (an older centre, a network blip) the password form is still there.
    api<SignInOptions>('/api/session/options').then((o) => setOidc(o.oidc), () => undefined);
  }, []);
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
        {oidc && <a class="button primary big" href={oidc.url} data-testid="sign-in-oidc">{t('signIn.with', { name: oidc.name })}</a>}
        {providerError && !error && <p class="error" role="alert" data-testid="sign-in-oidc-error" data-code={providerError}>{t(providerErrorKey(providerError))}</p>}
        <p class="muted">{t(oidc ? 'signIn.or' : 'signIn.intro')}</p>
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
