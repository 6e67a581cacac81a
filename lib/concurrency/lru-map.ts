/**
 * A map bounded to `capacity` entries that forgets the least recently used first: the one eviction policy of every
 * per-node cache (actor memory, verified tokens, author profiles, post rows, bucket indexes…).
 *
 * It is the "second chance" (CLOCK) approximation of LRU: a read only marks its entry as used, and eviction takes
 * the oldest entry, giving a used one another round at the back instead. Moving every entry read to the back of a
 * Map (a delete and a set) made reads cost a tenth of a feed page's CPU on big maps; a mark costs nothing.
 */
export class LruMap<K, V> {
  private readonly entries = new Map<K, { value: V; used: boolean }>();

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity ${capacity}: a positive integer`);
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

  /** Sets the value as the most recently used, forgetting the least recently used past the capacity. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, used: false });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.entries().next();
      if (oldest.done === true) break;
      const [oldKey, entry] = oldest.value;
      this.entries.delete(oldKey);
      if (entry.used) {
        entry.used = false;
        this.entries.set(oldKey, entry);
      }
    }
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Every entry, roughly least recently used first. */
  *[Symbol.iterator](): IterableIterator<[K, V]> {
    for (const [key, entry] of this.entries) yield [key, entry.value];
  }
}
