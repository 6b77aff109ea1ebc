/**
 * A user's own password change: forced after signing in with a one-time password, or chosen from
 * the header. The centre ends the user's other sessions and gives this one a new cookie.
 */
import { useState } from 'preact/hooks';
import { api } from '../api';
import type { User } from '../api-types';
import type { Key } from '../i18n';
import { useAction } from '../use-action';

export function ChangePassword({ t, forced, onDone, onCancel }: { t: (k: Key) => string; forced: boolean; onDone: (u: User) => void; onCancel?: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const { busy, error, run } = useAction((err) => `${t('password.failed')}: ${err.message}`);
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => onDone((await api<{ user: User }>('/api/me/password', { method: 'POST', body: { current, next } })).user));
  };
  return (
    <form class="sign-in" onSubmit={submit} data-testid="change-password">
      <h2>{t('password.title')}</h2>
      {forced && <p class="muted">{t('password.mustChange')}</p>}
      <label>
        {t('password.current')}
        <input type="password" autocomplete="current-password" data-testid="password-current" value={current} onInput={(e) => setCurrent(e.currentTarget.value)} required autofocus />
      </label>
      <label>
        {t('password.next')}
        <input type="password" autocomplete="new-password" data-testid="password-next" value={next} onInput={(e) => setNext(e.currentTarget.value)} required minLength={12} />
      </label>
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit" class="primary" data-testid="password-submit" disabled={busy || !current || next.length < 12}>{t('password.submit')}</button>
      {onCancel && <button type="button" class="link" onClick={onCancel}>{t('password.cancel')}</button>}
    </form>
  );
}
