/**
 * The values, in order: at once when none of them is a promise, else once they all have settled (rejecting as
 * `Promise.all` does). A warm page knows nearly everything it asks about; a promise per question, and a
 * `Promise.all` per batch, was much of what it cost.
 */
export function whenAll<T>(values: readonly (T | Promise<T>)[]): T[] | Promise<T[]> {
  const known: T[] = [];
  for (const value of values) {
    if (value instanceof Promise) return Promise.all(values);
    known.push(value);
  }
  return known;
}
