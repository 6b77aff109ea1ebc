/**
 * "Notify me of new orders": subscribes this browser to Web Push (where it has it, and the officer
 * allows notifications) with the centre's VAPID key, so a dispatched order reaches a phone whose
 * app is closed. The service worker (sw.ts) shows the notification.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import type { Key } from '../i18n';

/** The VAPID key as the Push API wants it (URL-safe base64 → bytes). */
export function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(base64url.length / 4) * 4, '=');
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

const supported = (): boolean => 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

export function PushToggle({ t }: { t: (key: Key) => string }) {
  const [state, setState] = useState<'off' | 'on' | 'hidden'>('hidden');
  useEffect(() => {
    if (!supported() || Notification.permission === 'denied') return;
    void navigator.serviceWorker.ready.then((reg) => reg.pushManager.getSubscription()).then((s) => setState(s ? 'on' : 'off'), () => undefined);
  }, []);
  if (state !== 'off') return null;
  const subscribe = async () => {
    if ((await Notification.requestPermission()) !== 'granted') return setState('hidden');
    const { publicKey } = await api<{ publicKey: string }>('/api/push/key');
    const reg = await navigator.serviceWorker.ready;
    const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) });
    await api('/api/push/subscriptions', { method: 'POST', body: sub.toJSON() });
    setState('on');
  };
  return <button type="button" class="notify" data-testid="push-subscribe" onClick={() => void subscribe().catch(() => setState('hidden'))}>{t('officer.notify')}</button>;
}
