import type { AnyTable, CounterDeltas, PrimaryKey, Row } from "./schema";
import type { WideRowStore } from "./store";

/**
 * Sets a counter to `value` (a recount from the rows it counts): counters only move by increments, so by the
 * difference from what it holds now.
 */
export async function setCounter<T extends AnyTable>(
  store: WideRowStore,
  table: T,
  key: PrimaryKey<T>,
  column: keyof CounterDeltas<T> & keyof Row<T>,
  value: number,
): Promise<void> {
  const row = await store.get(table, key);
  const current = row?.[column];
  const delta = value - (typeof current === "number" ? current : 0);
  if (delta !== 0) await store.increment(table, key, { [column]: delta } as CounterDeltas<T>);
}
