/** What every view needs: who is signed in, the centre's settings, the store, words and formats. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Settings, User, WorkOrder } from './api-types';
import type { Formatter } from './format';
import type { Key, Lang } from './i18n';
import type { ConsoleStore } from './store';

export interface AppContext {
  user: User;
  settings: Settings;
  store: ConsoleStore;
  lang: Lang;
  t: (key: Key, params?: Record<string, string | number>) => string;
  fmt: Formatter;
  /** The camera's configured name, else `<deviceId>/<cameraId>`. */
  cameraName(deviceId: string, cameraId: string): string;
  /** Where the order is: its camera and zone, or, reported by people, the address or position they gave. */
  orderPlace(order: WorkOrder): string;
  /** An officer's configured name, else the id. */
  officerName(id: string | null): string;
  /** A short message at the corner of the screen. */
  toast(message: string, tone?: 'info' | 'error'): void;
}

export const Ctx = createContext<AppContext | null>(null);

export function useApp(): AppContext {
  const ctx = useContext(Ctx);
  if (!ctx) throw new Error('useApp outside the signed-in app');
  return ctx;
}
