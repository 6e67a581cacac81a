/**
 * Runs `task` over `items` at most `size` at a time, keeping the input order in the answer: enough in flight to
 * hide each read's latency, few enough that one request cannot flood the store.
 */
export async function inBatches<T, R>(
  items: readonly T[],
  size: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    results.push(...(await Promise.all(items.slice(start, start + size).map(task))));
  }
  return results;
}
