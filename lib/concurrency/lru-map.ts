/**
 * A map bounded to `capacity` entries that forgets the least recently used first: the one eviction policy of every
 * per-node cache (actor memory, verified tokens, author profiles, post rows, bucket indexes…).
 *
 * It is the "second chance" (CLOCK) approximation of LRU: a read only marks its entry as used, and eviction takes
 * the oldest entry, giving a used one another round at the back instead. Moving every entry read to the back of a
 * Map (a delete and a set) made reads cost a tenth of a feed page's CPU on big maps; a mark costs nothing.
 */
export class LruMap<K, V> {
  private readonly entries = new Map<K, { value: V; used: boolean; bytes: number }>();
  private heldBytes = 0;

  /**
   * `bytes`, for caches whose entries differ much in size (post texts, media views): a second bound, on the sum
   * of `sizeOf` over the entries, so that a cache holds a known amount of memory whatever it holds.
   */
  constructor(
    private readonly capacity: number,
    private readonly bytes?: { max: number; sizeOf: (value: V) => number },
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity ${capacity}: a positive integer`);
    if (bytes !== undefined && !(bytes.max > 0))
      throw new RangeError(`bytes ${bytes.max}: a positive number`);
  }

  /** The value, now counted as recently used. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    entry.used = true;
    return entry.value;
  }

  /** The value, not counted as a use. */
  peek(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /**
   * Sets the value as the most recently used, forgetting the least recently used past the capacity (or the byte
   * bound). A value over the whole byte bound by itself is not kept.
   */
  set(key: K, value: V): void {
    this.delete(key);
    const bytes = this.bytes === undefined ? 0 : this.bytes.sizeOf(value);
    // Over the whole bound alone: kept, it would push out everything else and then itself.
    if (this.bytes !== undefined && bytes > this.bytes.max) return;
    this.entries.set(key, { value, used: false, bytes });
    this.heldBytes += bytes;
    while (
      this.entries.size > this.capacity ||
      (this.bytes !== undefined && this.heldBytes > this.bytes.max)
    ) {
      const oldest = this.entries.entries().next();
      if (oldest.done === true) break;
      const [oldKey, entry] = oldest.value;
      this.entries.delete(oldKey);
      if (entry.used) {
        entry.used = false;
        this.entries.set(oldKey, entry);
      } else {
        this.heldBytes -= entry.bytes;
      }
    }
  }

  delete(key: K): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.heldBytes -= entry.bytes;
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.heldBytes = 0;
  }

  /** The sum of `sizeOf` over the entries held (0 without a byte bound). */
  get sizeInBytes(): number {
    return this.heldBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Every entry, roughly least recently used first. */
  *[Symbol.iterator](): IterableIterator<[K, V]> {
    for (const [key, entry] of this.entries) yield [key, entry.value];
  }
}
