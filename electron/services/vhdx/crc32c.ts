// CRC-32C (Castagnoli, reflected 0x82F63B78) with slicing-by-8 tables: the checksum of every VHDX header, region table and log entry.

const POLY = 0x82f63b78;

/** 8 tables of 256 entries; table k advances the CRC over a byte followed by k zero bytes. */
const TABLES: Uint32Array[] = (() => {
  const t: Uint32Array[] = [];
  for (let k = 0; k < 8; k++) t.push(new Uint32Array(256));
  const t0 = t[0] as Uint32Array;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let b = 0; b < 8; b++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t0[n] as number;
    for (let k = 1; k < 8; k++) {
      c = (t0[c & 0xff] as number) ^ (c >>> 8);
      (t[k] as Uint32Array)[n] = c >>> 0;
    }
  }
  return t;
})();

const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
];

/**
 * Continue a CRC-32C over `data[start, end)`. `crc` is the running value *before* the final XOR
 * (start with 0xFFFFFFFF); call `crc32cFinish` at the end. Use `crc32c` for the one-shot form.
 */
export function crc32cUpdate(crc: number, data: Uint8Array, start = 0, end = data.length): number {
  let c = crc >>> 0;
  let i = start;
  // Align nothing: Uint8Array access is byte-wise anyway; process 8 bytes per step.
  const stop8 = end - ((end - i) & 7);
  while (i < stop8) {
    const lo =
      (c ^
        ((data[i] as number) |
          ((data[i + 1] as number) << 8) |
          ((data[i + 2] as number) << 16) |
          ((data[i + 3] as number) << 24))) >>>
      0;
    c =
      (T7[lo & 0xff] as number) ^
      (T6[(lo >>> 8) & 0xff] as number) ^
      (T5[(lo >>> 16) & 0xff] as number) ^
      (T4[lo >>> 24] as number) ^
      (T3[data[i + 4] as number] as number) ^
      (T2[data[i + 5] as number] as number) ^
      (T1[data[i + 6] as number] as number) ^
      (T0[data[i + 7] as number] as number);
    i += 8;
  }
  while (i < end) {
    c = (T0[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
    i++;
  }
  return c >>> 0;
}

export function crc32cFinish(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

/** One-shot CRC-32C of `data[start, end)`. crc32c(Buffer.from('123456789')) === 0xE3069283. */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  return crc32cFinish(crc32cUpdate(0xffffffff, data, start, end));
}

/**
 * CRC-32C of a VHDX structure whose 4-byte checksum field at `fieldOffset` must count as zero,
 * without modifying `data`.
 */
export function crc32cWithZeroedField(
  data: Uint8Array,
  fieldOffset: number,
  start = 0,
  end = data.length,
): number {
  let c = crc32cUpdate(0xffffffff, data, start, start + fieldOffset);
  c = crc32cUpdate(c, ZERO4);
  c = crc32cUpdate(c, data, start + fieldOffset + 4, end);
  return crc32cFinish(c);
}

const ZERO4 = new Uint8Array(4);
