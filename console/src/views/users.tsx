/**
 * User accounts, for admins: create one (its one-time password shown once, to hand over), disable
 * or enable, reset a password (a new one-time password; not for users of the identity provider,
 * who have none here), clear a sign-in lockout. Each row says how the user signs in. What the centre
 * refuses is shown as it says it, next to the form.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import type { Role, UserAccount } from '../api-types';
import { useApp } from '../context';
import { useAction } from '../use-action';

const ROLES: Role[] = ['operator', 'supervisor', 'officer', 'inspector', 'admin', 'metrics'];

export function UsersView() {
  const app = useApp();
  const { t, fmt } = app;
  const [users, setUsers] = useState<UserAccount[] | null>(null);
  const [secret, setSecret] = useState<{ name: string; password: string } | null>(null);
  const [form, setForm] = useState({ name: '', displayName: '', role: 'operator' as Role, team: '', officerId: '' });
  const { busy, error, setError, run: act } = useAction();

  const load = async () => {
    try {
      setUsers((await api<{ items: UserAccount[] }>('/api/users')).items);
    } catch (err) {
      setError(`${t('error.load')}: ${(err as Error).message}`);
    }
  };
  useEffect(() => void load(), []);

  const run = (call: () => Promise<unknown>) => act(async () => {
    await call();
    await load();
  });

  const create = (e: Event) => {
    e.preventDefault();
    const optional = (v: string) => (v.trim() ? v.trim() : undefined);
    void run(async () => {
      const body = { name: form.name.trim(), role: form.role, displayName: optional(form.displayName), team: optional(form.team), officerId: optional(form.officerId) };
      const res = await api<{ user: UserAccount; oneTimePassword: string }>('/api/users', { method: 'POST', body });
      setSecret({ name: res.user.name, password: res.oneTimePassword });
      setForm({ name: '', displayName: '', role: 'operator', team: '', officerId: '' });
    });
  };
  const reset = (name: string) => run(async () => setSecret({ name, password: (await api<{ oneTimePassword: string }>(`/api/users/${encodeURIComponent(name)}/reset`, { method: 'POST' })).oneTimePassword }));
  const post = (name: string, action: 'disable' | 'enable') => run(() => api(`/api/users/${encodeURIComponent(name)}/${action}`, { method: 'POST' }));
  const unlock = (name: string) => run(() => api(`/api/users/${encodeURIComponent(name)}/lockout`, { method: 'DELETE' }));

  return (
    <section class="users">
      <form class="users-form" onSubmit={create} data-testid="user-form">
        <input placeholder={t('users.name')} data-testid="user-name" value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} required />
        <input placeholder={t('users.displayName')} data-testid="user-display-name" value={form.displayName} onInput={(e) => setForm({ ...form, displayName: e.currentTarget.value })} />
        <select data-testid="user-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value as Role })}>
          {ROLES.map((r) => <option value={r} key={r}>{t(`role.${r}`)}</option>)}
        </select>
        <input placeholder={t('users.team')} data-testid="user-team" value={form.team} onInput={(e) => setForm({ ...form, team: e.currentTarget.value })} />
        <input placeholder={t('users.officerId')} data-testid="user-officer-id" value={form.officerId} onInput={(e) => setForm({ ...form, officerId: e.currentTarget.value })} />
        <button type="submit" class="primary" data-testid="user-create" disabled={busy || !form.name.trim()}>{t('users.create')}</button>
      </form>
      {error && <p class="error" role="alert" data-testid="users-error">{error}</p>}
      {secret && (
        <p class="notice" data-testid="one-time-password" data-user={secret.name}>
          {t('users.oneTime')} <b>{secret.name}</b>: <code>{secret.password}</code>
        </p>
      )}
      <table class="users-table">
        <thead><tr><th>{t('users.name')}</th><th>{t('users.displayName')}</th><th>{t('users.role')}</th><th>{t('users.team')}</th><th>{t('users.source')}</th><th>{t('users.state')}</th><th /></tr></thead>
        <tbody>
          {(users ?? []).map((u) => (
            <tr key={u.name} data-testid="user-row" data-name={u.name} data-source={u.source} data-state={u.disabledAt ? 'disabled' : u.lockedUntil ? 'locked' : 'active'}>
              <td>{u.name}</td>
              <td>{u.displayName}</td>
              <td>{t(`role.${u.role}`)}</td>
              <td>{u.team ?? '—'}</td>
              <td>{t(`users.source.${u.source}`)}</td>
              <td>{u.disabledAt ? `${t('users.disabled')} ${fmt.dateTime(u.disabledAt)}` : u.lockedUntil ? `${t('users.locked')} ${fmt.dateTime(u.lockedUntil)}` : u.mustChangePassword ? t('users.oneTimeState') : t('users.active')}</td>
              <td class="actions">
                {u.name !== app.user.name && <button type="button" class="link" data-testid={u.disabledAt ? 'user-enable' : 'user-disable'} disabled={busy} onClick={() => void post(u.name, u.disabledAt ? 'enable' : 'disable')}>{t(u.disabledAt ? 'users.enable' : 'users.disable')}</button>}
                {u.source === 'password' && <button type="button" class="link" data-testid="user-reset" disabled={busy} onClick={() => void reset(u.name)}>{t('users.reset')}</button>}
                {u.lockedUntil && <button type="button" class="link" data-testid="user-unlock" disabled={busy} onClick={() => void unlock(u.name)}>{t('users.unlock')}</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
