// The restore's repeat cache: copies only from a chunk's second occurrence, independent of the caller's buffer,
// within its byte budget, least recently used out first.
import { describe, expect, it } from 'vitest';
import { RepeatCache } from '../../../electron/services/repository/repeat-cache';

describe('RepeatCache', () => {
  it('keeps a copy only for chunks seen before, and the copy survives reuse of the source buffer', () => {
    const c = new RepeatCache(1024);
    expect(c.noteLoad('a')).toBe(false);
    expect(c.noteLoad('a')).toBe(true);
    const buf = Buffer.alloc(100, 7);
    c.keep('a', buf);
    buf.fill(0);
    expect(c.get('a')?.every((b) => b === 7)).toBe(true);
    expect(c.get('b')).toBeUndefined();
    expect(c.hits).toBe(1);
  });

  it('stays within its byte budget, evicting the least recently used copy', () => {
    const c = new RepeatCache(250);
    c.keep('a', Buffer.alloc(100, 1));
    c.keep('b', Buffer.alloc(100, 2));
    c.get('a'); // a is now more recent than b
    c.keep('c', Buffer.alloc(100, 3));
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')?.[0]).toBe(1);
    expect(c.get('c')?.[0]).toBe(3);
    c.keep('huge', Buffer.alloc(300));
    expect(c.get('huge')).toBeUndefined();
  });

  it('forgets the oldest seen ids beyond its bound', () => {
    const c = new RepeatCache(1024, 2);
    c.noteLoad('x');
    c.noteLoad('y');
    c.noteLoad('z'); // x forgotten
    expect(c.noteLoad('x')).toBe(false);
    expect(c.noteLoad('z')).toBe(true);
  });
});
