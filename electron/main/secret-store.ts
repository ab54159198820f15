// Host credentials for the PowerShell provider, encrypted with Electron's safeStorage (DPAPI on Windows) on disk.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { safeStorage } from 'electron';
import {
  Secret,
  type Credential,
  type SecretStore,
} from '../services/providers/powershell/secrets';

/** Only ciphertext reaches the disk; nothing is stored when the OS offers no encryption. */
export class SafeStorageSecretStore implements SecretStore {
  constructor(private readonly file: string) {}

  private async load(): Promise<Record<string, string>> {
    return JSON.parse(await fs.readFile(this.file, 'utf8').catch(() => '{}')) as Record<
      string,
      string
    >;
  }

  async get(ref: string): Promise<Credential | undefined> {
    const sealed = (await this.load())[ref];
    if (!sealed || !safeStorage.isEncryptionAvailable()) return undefined;
    const plain = JSON.parse(safeStorage.decryptString(Buffer.from(sealed, 'base64'))) as {
      username: string;
      password: string;
    };
    return { username: plain.username, password: new Secret(plain.password) };
  }

  async set(ref: string, cred: Credential): Promise<void> {
    if (!safeStorage.isEncryptionAvailable())
      throw new Error(
        'This system offers no encrypted storage; use Kerberos (the signed-in account) instead of a stored credential.',
      );
    const all = await this.load();
    all[ref] = safeStorage
      .encryptString(JSON.stringify({ username: cred.username, password: cred.password.reveal() }))
      .toString('base64');
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await fs.writeFile(this.file, JSON.stringify(all, null, 2), { mode: 0o600 });
  }
}
