// Notifications when a run or drill fails or misses its target: pushed to the hosts (desktop) and to webhooks.
export interface Notice {
  level: 'info' | 'warning' | 'error';
  title: string;
  body: string;
  /** Policy, drill or task it is about. */
  ref?: Record<string, string>;
}

export interface Notifier {
  notify(
    n: Notice,
    webhook?: string,
  ): Promise<{ webhook?: { ok: boolean; status?: number; error?: string } }>;
}

/** Emits notices as events (Electron shows a desktop notification) and POSTs JSON to a webhook when given. */
export function createNotifier(
  emit: (n: Notice) => void,
  fetchImpl: typeof fetch = fetch,
): Notifier {
  return {
    async notify(n, webhook) {
      emit(n);
      if (!webhook) return {};
      try {
        const res = await fetchImpl(webhook, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            source: 'hyperv-backup-console',
            ...n,
            time: new Date().toISOString(),
          }),
          signal: AbortSignal.timeout(10_000),
        });
        return { webhook: { ok: res.ok, status: res.status } };
      } catch (e) {
        return { webhook: { ok: false, error: (e as Error).message } };
      }
    },
  };
}
