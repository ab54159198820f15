// Copies of verified chunks that occur again in the disk being read (repeated blocks, templates, patterns), so a
// restore reads, decodes and re-hashes such a chunk once instead of at every occurrence. A copy is kept only from a
// chunk's second occurrence on, within a byte budget, least recently used out first.
export class RepeatCache {
  /** Ids seen once (bounded, oldest forgotten first). */
  private readonly seen = new Map<string, true>();
  private readonly copies = new Map<string, Buffer>();
  private bytes = 0;
  hits = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxSeen = 65_536,
  ) {}

  /** A verified copy of chunk `id`, if one is kept. */
  get(id: string): Buffer | undefined {
    const b = this.copies.get(id);
    if (b) {
      this.copies.delete(id);
      this.copies.set(id, b);
      this.hits++;
    }
    return b;
  }

  /** Note that chunk `id` is about to be loaded; true when it occurred before (keep a copy once verified). */
  noteLoad(id: string): boolean {
    if (this.seen.has(id)) return true;
    this.seen.set(id, true);
    if (this.seen.size > this.maxSeen) this.seen.delete(this.seen.keys().next().value as string);
    return false;
  }

  /** Keep a copy of verified chunk data (the caller's buffer may be reused afterwards). */
  keep(id: string, data: Buffer): void {
    if (data.length > this.maxBytes || this.copies.has(id)) return;
    const copy = Buffer.allocUnsafe(data.length);
    data.copy(copy);
    this.copies.set(id, copy);
    this.bytes += copy.length;
    for (const [k, v] of this.copies) {
      if (this.bytes <= this.maxBytes) break;
      this.copies.delete(k);
      this.bytes -= v.length;
    }
  }
}
