/**
 * Exempt plates (police, ambulance, permit holders): the vehicles no parking rule applies to, as
 * the centre keeps them and sends them to every box, and who changed the list when. Operators
 * read; admins add and remove. The centre normalises the plate and checks everything: what it
 * refuses is shown as it says it, next to the form.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import type { ExemptPlateAuditLine, ExemptPlateEntry } from '../api-types';
import { useApp } from '../context';
import { useAction } from '../use-action';
import { wallTimeToIso } from '../wall-time';

/** Audit lines shown: the last few weeks of edits; the API keeps more. */
const AUDIT_LINES = 100;
const REASONS = ['exempt.reason.police', 'exempt.reason.ambulance', 'exempt.reason.fire', 'exempt.reason.permit'] as const;

type Sent = Array<{ deviceId: string; version: number }>;

export function ExemptPlatesView() {
  const app = useApp();
  const { t, fmt } = app;
  const isAdmin = app.user.role === 'admin';
  const [plates, setPlates] = useState<ExemptPlateEntry[] | null>(null);
  const [audit, setAudit] = useState<ExemptPlateAuditLine[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [plate, setPlate] = useState('');
  const [reason, setReason] = useState('');
  const [expires, setExpires] = useState('');
  const { busy, error: formError, setError: setFormError, run } = useAction();
  const [removing, setRemoving] = useState<string | null>(null);

  const load = async () => {
    try {
      const [list, lines] = await Promise.all([
        api<{ items: ExemptPlateEntry[] }>('/api/exempt-plates'),
        api<{ items: ExemptPlateAuditLine[] }>(`/api/exempt-plates/audit?limit=${AUDIT_LINES}`),
      ]);
      setPlates(list.items);
      setAudit(lines.items);
      setLoadError(null);
    } catch (err) {
      setLoadError(`${t('error.load')}: ${(err as Error).message}`);
    }
  };
  useEffect(() => void load(), []);

  /** Runs one change; answers whether it was done, the centre's refusal shown if not. */
  const change = (call: () => Promise<{ sent: Sent }>, done: (sent: Sent) => string): Promise<boolean> =>
    run(async () => {
      const { sent } = await call();
      app.toast(done(sent));
      await load();
    });

  const add = async (e: Event) => {
    e.preventDefault();
    let expiresAt: string | undefined;
    try {
      expiresAt = expires ? wallTimeToIso(expires, app.settings.timezone) : undefined;
    } catch (err) {
      setFormError(`${t('exempt.expires')}: ${(err as Error).message}`);
      return;
    }
    const body = { ...(reason.trim() ? { reason: reason.trim() } : {}), ...(expiresAt ? { expiresAt } : {}) };
    const ok = await change(
      () => api<{ entry: ExemptPlateEntry; sent: Sent }>(`/api/exempt-plates/${encodeURIComponent(plate.trim())}`, { method: 'PUT', body }),
      (sent) => t('exempt.added', { boxes: sent.length }),
    );
    if (ok) {
      setPlate('');
      setReason('');
      setExpires('');
    }
  };

  const remove = (p: string) =>
    change(
      () => api<{ sent: Sent }>(`/api/exempt-plates/${encodeURIComponent(p)}`, { method: 'DELETE' }),
      (sent) => t('exempt.removed', { plate: p, boxes: sent.length }),
    ).then(() => setRemoving(null));

  return (
    <div class="exempt" data-testid="exempt">
      <h2>
        {t('exempt.title')} {plates && <span class="count">{plates.length}</span>}
      </h2>
      <p class="hint">{t('exempt.intro')}</p>
      {loadError && <p class="error" role="alert">{loadError}</p>}
      {isAdmin ? (
        <form class="exempt-form" data-testid="exempt-form" onSubmit={(e) => void add(e)}>
          <label>
            {t('exempt.plate')}
            <input data-testid="exempt-plate" required maxLength={64} value={plate} onInput={(e) => setPlate(e.currentTarget.value)} />
          </label>
          <label>
            {t('exempt.reason')}
            <input data-testid="exempt-reason" list="exempt-reasons" maxLength={200} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
            <datalist id="exempt-reasons">{REASONS.map((k) => <option key={k} value={t(k)} />)}</datalist>
          </label>
          <label>
            {t('exempt.expiresOptional', { zone: app.settings.timezone })}
            <input data-testid="exempt-expires" type="datetime-local" value={expires} onInput={(e) => setExpires(e.currentTarget.value)} />
          </label>
          <button type="submit" class="primary" data-testid="exempt-add" disabled={busy || !plate.trim()}>{t('exempt.add')}</button>
          {formError && <p class="error" role="alert" data-testid="exempt-error">{t('error.action')}: {formError}</p>}
        </form>
      ) : (
        <p class="muted" data-testid="exempt-read-only">{t('exempt.readOnly')}</p>
      )}
      <div class="list-wrap">
        <table data-testid="exempt-list">
          <thead>
            <tr>
              <th>{t('exempt.plate')}</th>
              <th>{t('exempt.reason')}</th>
              <th>{t('exempt.expires')}</th>
              <th>{t('exempt.addedBy')}</th>
              <th>{t('exempt.addedAt')}</th>
              {isAdmin && <th />}
            </tr>
          </thead>
          <tbody>
            {plates?.length === 0 && <tr><td colSpan={6} class="muted">{t('exempt.none')}</td></tr>}
            {plates === null && !loadError && <tr><td colSpan={6} class="muted">{t('common.loading')}</td></tr>}
            {plates?.map((e) => (
              <tr key={e.plate} data-testid="exempt-row" data-plate={e.plate}>
                <td><span class="plate">{e.plate}</span></td>
                <td>{e.reason ?? '—'}</td>
                <td>{e.expiresAt ? fmt.dateTime(e.expiresAt, true) : t('exempt.noExpiry')}</td>
                <td>{e.addedBy}</td>
                <td>{fmt.dateTime(e.addedAt, true)}</td>
                {isAdmin && (
                  <td>
                    {removing === e.plate ? (
                      <>
                        <button type="button" class="danger" data-testid="exempt-remove-confirm" disabled={busy} onClick={() => void remove(e.plate)}>{t('exempt.removeConfirm')}</button>
                        <button type="button" class="link" onClick={() => setRemoving(null)}>{t('common.cancel')}</button>
                      </>
                    ) : (
                      <button type="button" data-testid="exempt-remove" disabled={busy} onClick={() => setRemoving(e.plate)}>{t('exempt.remove')}</button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>{t('exempt.audit')}</h3>
      <div class="list-wrap">
        <table data-testid="exempt-audit">
          <thead>
            <tr>
              <th>{t('exempt.auditAt')}</th>
              <th>{t('exempt.auditBy')}</th>
              <th>{t('exempt.auditAction')}</th>
              <th>{t('exempt.plate')}</th>
              <th>{t('exempt.reason')}</th>
              <th>{t('exempt.expires')}</th>
            </tr>
          </thead>
          <tbody>
            {audit.length === 0 && <tr><td colSpan={6} class="muted">{t('exempt.noAudit')}</td></tr>}
            {audit.map((l, i) => (
              <tr key={`${l.at}-${i}`} data-testid="exempt-audit-row" data-plate={l.plate} data-action={l.action}>
                <td>{fmt.dateTime(l.at, true)}</td>
                <td>{l.by}</td>
                <td>{t(`exempt.action.${l.action}`)}</td>
                <td><span class="plate">{l.plate}</span></td>
                <td>{l.reason ?? '—'}</td>
                <td>{l.expiresAt ? fmt.dateTime(l.expiresAt, true) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
