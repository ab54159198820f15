// Sessions keyed by (host, lane): one process per host per lane, created on first use, replaced when they die.
import type { Lane } from './registry';
import { PsSession, type ConnectSpec, type SessionOptions } from './session';

export interface PoolOptions extends Omit<SessionOptions, 'label' | 'connect'> {
  /** How to reach `host`: undefined = the local process (transport local, or the machine itself). */
  connectFor(host: string): ConnectSpec | undefined;
}

export class SessionPool {
  private sessions = new Map<string, PsSession>();
  constructor(private readonly opts: PoolOptions) {}

  get(host: string, lane: Lane): PsSession {
    const key = `${host.toLowerCase()}/${lane}`;
    let s = this.sessions.get(key);
    if (!s) {
      const connect = this.opts.connectFor(host);
      const { connectFor: _c, ...rest } = this.opts;
      s = new PsSession({ ...rest, label: `${host}/${lane}`, ...(connect ? { connect } : {}) });
      this.sessions.set(key, s);
    }
    return s;
  }

  list(): PsSession[] {
    return [...this.sessions.values()];
  }

  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.close()));
  }
}
