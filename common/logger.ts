import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs on stderr, so stdout stays free for command output. */
export function createLogger(name: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    { name, level: process.env.LOG_LEVEL ?? 'info', base: { ...bindings } },
    pino.destination({ dest: 2, sync: false }),
  );
}
