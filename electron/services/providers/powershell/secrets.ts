// Credentials for WinRM and PowerShell Direct: fetched from a pluggable secret store by reference, never stored
// in config, never logged. Electron's safeStorage implements SecretStore in the main process (not here: services
// must run under plain Node).
import { inspect } from 'node:util';

/** A password that does not print itself: String(), JSON.stringify() and util.inspect() all show "[redacted]". */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

export interface Credential {
  /** DOMAIN\user or user@domain. */
  username: string;
  password: Secret;
}

export interface SecretStore {
  /** The credential stored under `ref`, or undefined when there is none. */
  get(ref: string): Promise<Credential | undefined>;
}

/** In-memory store for tests and the CLI; the Electron host supplies a safeStorage-backed one. */
export class MemorySecretStore implements SecretStore {
  private items = new Map<string, { username: string; password: string }>();
  set(ref: string, username: string, password: string): void {
    this.items.set(ref, { username, password });
  }
  async get(ref: string): Promise<Credential | undefined> {
    const c = this.items.get(ref);
    return c ? { username: c.username, password: new Secret(c.password) } : undefined;
  }
}

/** Replace every occurrence of the given secrets in a text (belt and braces for error messages). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('[redacted]');
  return out;
}
