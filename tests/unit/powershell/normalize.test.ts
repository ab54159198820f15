// normalize.ts: the one place PowerShell's JSON quirks are handled.
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  arr,
  bool,
  date,
  enumOf,
  guid,
  looksTruncated,
  obj,
  parseOrThrow,
  safeInt,
  toIsoDate,
} from '../../../electron/services/providers/powershell/normalize';
import {
  CsvStateEnum,
  hostOsFromVersion,
  VmStateEnum,
} from '../../../electron/services/providers/powershell/parsers/enums';

describe('dates', () => {
  it.each([
    ['/Date(1326441600000)/', '2012-01-13T08:00:00.000Z'],
    ['\\/Date(1326441600000)\\/', '2012-01-13T08:00:00.000Z'],
    ['/Date(1326441600000+0100)/', '2012-01-13T08:00:00.000Z'],
    ['2021-08-05T16:13:05.6394416-07:00', '2021-08-05T23:13:05.639Z'],
    ['2021-08-05T23:13:05Z', '2021-08-05T23:13:05.000Z'],
    ['20210805231305.639441+000', '2021-08-05T23:13:05.639Z'],
    ['20210805161305.000000-420', '2021-08-05T23:13:05.000Z'],
  ])('%s → %s', (input, out) => {
    expect(toIsoDate(input)).toBe(out);
  });
  it('unwraps the 5.1 ETS wrapper and rejects non-dates with the field name', () => {
    expect(
      toIsoDate({ value: '/Date(0)/', DisplayHint: 2, DateTime: 'Thursday, January 1, 1970' }),
    ).toBe('1970-01-01T00:00:00.000Z');
    expect(() => parseOrThrow(obj({ t: date }), { t: 'yesterday' }, 'X')).toThrow(
      /X: unexpected output: data\.t: expected a date/,
    );
  });
});

describe('shapes', () => {
  it('single items and null become arrays; truncated strings are rejected', () => {
    const s = arr(obj({ a: safeInt }));
    expect(s.parse({ a: 1 })).toEqual([{ a: 1 }]);
    expect(s.parse(null)).toEqual([]);
    expect(() => parseOrThrow(obj({ list: s }), { list: 'System.Object[]' }, 'Y')).toThrow(
      /data\.list: expected an array .*truncated/,
    );
    expect(looksTruncated('@{Name=x; Size=1}')).toBe(true);
    expect(looksTruncated('Deserialized.Microsoft.HyperV.PowerShell.VirtualMachine')).toBe(true);
    expect(looksTruncated('SQL01')).toBe(false);
  });
  it('numbers: numeric strings, 2^53 limit; booleans as PowerShell prints them; GUIDs normalised', () => {
    expect(safeInt.parse('137438953472')).toBe(137438953472);
    expect(() => parseOrThrow(obj({ n: safeInt }), { n: '9007199254740993' }, 'Z')).toThrow(
      /exceeds 2\^53/,
    );
    expect(bool.parse('True')).toBe(true);
    expect(bool.parse(0)).toBe(false);
    expect(guid.parse('{6F1C2A3B-4D5E-4F60-8A7B-9C0D1E2F3A4B}')).toBe(
      '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b',
    );
  });
});

describe('enums', () => {
  it('accept names in any spelling and documented numbers', () => {
    expect(VmStateEnum.parse('RunningCritical')).toBe('Running');
    expect(VmStateEnum.parse(3)).toBe('Off');
    expect(VmStateEnum.parse('32779')).toBe('Saved');
    expect(CsvStateEnum.parse('File System Redirected')).toBe('FileSystemRedirected');
    expect(CsvStateEnum.parse(4)).toBe('BlockRedirected');
    const e = enumOf('colour', { Red: 'red' as const }, { 1: 'Red' });
    expect(() => parseOrThrow(z.object({ c: e }), { c: 7 }, 'C')).toThrow(
      /unknown colour number 7/,
    );
  });
  it('maps Windows builds to the host OS versions of §14', () => {
    expect(hostOsFromVersion(6, 3, 9600)).toBe('2012R2');
    expect(hostOsFromVersion(10, 0, 14393)).toBe('2016');
    expect(hostOsFromVersion(10, 0, 17763)).toBe('2019');
    expect(hostOsFromVersion(10, 0, 20348)).toBe('2022');
    expect(hostOsFromVersion(10, 0, 26100)).toBe('2025');
    expect(hostOsFromVersion(5, 2, 3790)).toBeUndefined();
  });
});
