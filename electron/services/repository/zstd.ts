// zstd on the calling thread (sealed files, chunk maps, the inline chunk processor): the native binding (zstd-napi,
// an optional dependency built from source at install) where it loads, else the WASM build. Loading the native one
// takes ~8 ms; compiling the WASM module took 20–47 ms on this project's test machine, on the path of every open.
import { createRequire } from 'node:module';
import * as wasm from '@bokuweb/zstd-wasm';

interface Zstd {
  kind: 'native' | 'wasm';
  compress(data: Uint8Array, level: number): Uint8Array;
  decompress(data: Uint8Array): Uint8Array;
}

interface NapiModule {
  compress(data: Uint8Array, parameters?: { compressionLevel?: number }): Buffer;
  decompress(data: Uint8Array): Buffer;
}

let current: Zstd | null = null;
let loading: Promise<Zstd> | null = null;

function loadNative(): Zstd | null {
  try {
    const z = createRequire(import.meta.url)('zstd-napi') as NapiModule;
    return {
      kind: 'native',
      compress: (data, level) => z.compress(data, { compressionLevel: level }),
      decompress: (data) => z.decompress(data),
    };
  } catch {
    return null; // not built here (or built for another runtime's ABI)
  }
}

async function load(prefer: 'auto' | 'wasm'): Promise<Zstd> {
  const native = prefer === 'auto' ? loadNative() : null;
  if (native) return native;
  await wasm.init();
  return { kind: 'wasm', compress: wasm.compress, decompress: wasm.decompress };
}

/** Load zstd for this thread once (native where it loads); `prefer: 'wasm'` switches to the WASM build (tests). */
export async function ensureZstd(prefer: 'auto' | 'wasm' = 'auto'): Promise<'native' | 'wasm'> {
  if (prefer === 'wasm' && current?.kind === 'native') {
    current = null;
    loading = null;
  }
  loading ??= load(prefer).then((z) => (current = z));
  return (await loading).kind;
}

function loaded(): Zstd {
  if (!current) throw new Error('zstd is not loaded yet: await ensureZstd() first.');
  return current;
}

export function zstdCompress(data: Uint8Array, level: number): Uint8Array {
  return loaded().compress(data, level);
}

export function zstdDecompress(data: Uint8Array): Uint8Array {
  return loaded().decompress(data);
}
