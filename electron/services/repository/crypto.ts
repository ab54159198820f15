// Keys and sealing. A random 32-byte master key is wrapped (AES-256-GCM) by a key derived from the passphrase
// with scrypt; the chunk-id key (HMAC-SHA-256) and the data key (AES-256-GCM) are derived from the master key
// with HKDF, so chunk ids reveal nothing about the data without the passphrase.

import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  scryptSync,
} from 'node:crypto';
import { HvbcError } from '../../../shared/errors';

export interface KdfParams {
  alg: 'scrypt';
  N: number;
  r: number;
  p: number;
  /** base64 */
  salt: string;
}

export interface WrappedKey {
  kdf: KdfParams;
  /** base64 of nonce(12) | ciphertext(32) | tag(16) */
  wrapped: string;
}

export interface RepoKeys {
  /** HMAC key for chunk ids; null when the repository is not encrypted (ids are plain SHA-256). */
  idKey: Buffer | null;
  /** AES-256-GCM key for chunks, indexes and manifests; null when not encrypted. */
  dataKey: Buffer | null;
}

export const DEFAULT_KDF = { N: 1 << 15, r: 8, p: 1 } as const;
const WRAP_AAD = Buffer.from('hvbc-repo-master-key-v1');

function kek(passphrase: string, kdf: KdfParams): Buffer {
  const maxmem = 256 * kdf.N * kdf.r + 16 * 1024 * 1024;
  return scryptSync(passphrase.normalize('NFC'), Buffer.from(kdf.salt, 'base64'), 32, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem,
  });
}

/** Make a new master key and wrap it with the passphrase. */
export function createWrappedKey(
  passphrase: string,
  params: { N: number; r: number; p: number } = DEFAULT_KDF,
): { master: Buffer; key: WrappedKey } {
  if (!passphrase)
    throw new HvbcError(
      'VALIDATION',
      'The passphrase is empty. Give a non-empty passphrase or none for an unencrypted repository.',
    );
  const master = randomBytes(32);
  const kdf: KdfParams = { alg: 'scrypt', ...params, salt: randomBytes(16).toString('base64') };
  return { master, key: wrapKey(master, passphrase, kdf) };
}

export function wrapKey(master: Buffer, passphrase: string, kdf: KdfParams): WrappedKey {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', kek(passphrase, kdf), nonce);
  c.setAAD(WRAP_AAD);
  const ct = Buffer.concat([c.update(master), c.final()]);
  return { kdf, wrapped: Buffer.concat([nonce, ct, c.getAuthTag()]).toString('base64') };
}

/** Unwrap the master key; WRONG_PASSPHRASE when the passphrase does not open it. */
export function unwrapKey(key: WrappedKey, passphrase: string): Buffer {
  const raw = Buffer.from(key.wrapped, 'base64');
  if (raw.length !== 12 + 32 + 16)
    throw new HvbcError('REPO_CORRUPT', 'The repository key in the config file is damaged.');
  const d = createDecipheriv('aes-256-gcm', kek(passphrase, key.kdf), raw.subarray(0, 12));
  d.setAAD(WRAP_AAD);
  d.setAuthTag(raw.subarray(44));
  try {
    return Buffer.concat([d.update(raw.subarray(12, 44)), d.final()]);
  } catch {
    throw new HvbcError(
      'WRONG_PASSPHRASE',
      'The passphrase is wrong for this repository. Check it and try again; without the right passphrase the backups cannot be read.',
    );
  }
}

export function deriveKeys(master: Buffer | null): RepoKeys {
  if (!master) return { idKey: null, dataKey: null };
  const salt = Buffer.from('hvbc-repo-v1');
  return {
    idKey: Buffer.from(hkdfSync('sha256', master, salt, 'chunk-id', 32)),
    dataKey: Buffer.from(hkdfSync('sha256', master, salt, 'data', 32)),
  };
}

/** Chunk id: SHA-256, or HMAC-SHA-256 under the id key when the repository is encrypted. */
export function chunkId(data: Uint8Array, idKey: Buffer | null): string {
  return (idKey ? createHmac('sha256', idKey) : createHash('sha256')).update(data).digest('hex');
}

export function encrypt(key: Buffer, plain: Uint8Array, aad: Uint8Array): Buffer {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad);
  const a = c.update(plain);
  const b = c.final();
  return Buffer.concat([nonce, a, b, c.getAuthTag()]);
}

/** Decrypt; null when authentication fails (damaged or swapped data). */
export function decrypt(key: Buffer, sealed: Uint8Array, aad: Uint8Array): Buffer | null {
  if (sealed.length < 28) return null;
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12));
  d.setAAD(aad);
  d.setAuthTag(buf.subarray(buf.length - 16));
  try {
    return Buffer.concat([d.update(buf.subarray(12, buf.length - 16)), d.final()]);
  } catch {
    return null;
  }
}
