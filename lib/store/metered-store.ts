import type { StoreMetrics, StoreOperation, StoreOperationSeries } from "../metrics/store-metrics";
import { InvalidPageTokenError } from "./errors";
import type { AnyTable, CounterDeltas, PartitionKey, PrimaryKey, Row, RowWrite } from "./schema";
import type { BatchOp, Slice, SliceOptions, WideRowStore, WriteOptions } from "./store";

/**
 * The store port with every data operation timed and its failures counted, per operation, around whichever
 * adapter is configured: the adapters stay free of metrics, and both are measured the same way.
 */
export class MeteredStore implements WideRowStore {
  private readonly ops: Readonly<Record<StoreOperation, StoreOperationSeries>>;

  constructor(
    private readonly inner: WideRowStore,
    metrics: StoreMetrics,
  ) {
    const of = (operation: StoreOperation) => metrics.forOperation(operation);
    this.ops = {
      get: of("get"),
      put: of("put"),
      delete: of("delete"),
      delete_partition: of("delete_partition"),
      insert_if_absent: of("insert_if_absent"),
      delete_if: of("delete_if"),
      update_if: of("update_if"),
      slice: of("slice"),
      scan: of("scan"),
      batch: of("batch"),
      increment: of("increment"),
    };
  }

  open(tables: readonly AnyTable[]): Promise<void> {
    return this.inner.open(tables);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  // Readiness probes ask this every few seconds; it is no data operation.
  isReady(): Promise<boolean> {
    return this.inner.isReady();
  }

  get<T extends AnyTable>(table: T, key: PrimaryKey<T>): Promise<Row<T> | undefined> {
    const started = performance.now();
    return measured(this.ops.get, started, this.inner.get(table, key));
  }

  put<T extends AnyTable>(table: T, row: RowWrite<T>, options?: WriteOptions): Promise<void> {
    const started = performance.now();
    return measured(this.ops.put, started, this.inner.put(table, row, options));
  }

  delete<T extends AnyTable>(table: T, key: PrimaryKey<T>): Promise<void> {
    const started = performance.now();
    return measured(this.ops.delete, started, this.inner.delete(table, key));
  }

  deletePartition<T extends AnyTable>(table: T, partition: PartitionKey<T>): Promise<void> {
    const started = performance.now();
    return measured(this.ops.delete_partition, started, this.inner.deletePartition(table, partition));
  }

  insertIfAbsent<T extends AnyTable>(
    table: T,
    row: RowWrite<T>,
    options?: WriteOptions,
  ): Promise<{ applied: true } | { applied: false; existing: Row<T> }> {
    const started = performance.now();
    return measured(this.ops.insert_if_absent, started, this.inner.insertIfAbsent(table, row, options));
  }

  deleteIf<T extends AnyTable>(table: T, key: PrimaryKey<T>, expected?: Partial<Row<T>>): Promise<boolean> {
    const started = performance.now();
    return measured(this.ops.delete_if, started, this.inner.deleteIf(table, key, expected));
  }

  updateIf<T extends AnyTable>(
    table: T,
    row: RowWrite<T>,
    expected?: Partial<Row<T>>,
    options?: WriteOptions,
  ): Promise<boolean> {
    const started = performance.now();
    return measured(this.ops.update_if, started, this.inner.updateIf(table, row, expected, options));
  }

  slice<T extends AnyTable>(
    table: T,
    partition: PartitionKey<T>,
    options?: SliceOptions<T>,
  ): Promise<Slice<T>> {
    const started = performance.now();
    return measured(this.ops.slice, started, this.inner.slice(table, partition, options));
  }

  scan<T extends AnyTable>(table: T, options?: { limit?: number; pageToken?: string }): Promise<Slice<T>> {
    const started = performance.now();
    return measured(this.ops.scan, started, this.inner.scan(table, options));
  }

  batch<T extends AnyTable>(table: T, partition: PartitionKey<T>, ops: readonly BatchOp<T>[]): Promise<void> {
    const started = performance.now();
    return measured(this.ops.batch, started, this.inner.batch(table, partition, ops));
  }

  increment<T extends AnyTable>(table: T, key: PrimaryKey<T>, deltas: CounterDeltas<T>): Promise<void> {
    const started = performance.now();
    return measured(this.ops.increment, started, this.inner.increment(table, key, deltas));
  }
}

/** Records the operation when it settles; `then` rather than an async wrapper, to add one step, not several. */
function measured<R>(series: StoreOperationSeries, started: number, operation: Promise<R>): Promise<R> {
  return operation.then(
    (value) => {
      series.duration.observe((performance.now() - started) / 1000);
      return value;
    },
    (err: unknown) => {
      series.duration.observe((performance.now() - started) / 1000);
      // A page token the store did not issue is the caller's mistake (a 400), not the store failing.
      if (!(err instanceof InvalidPageTokenError)) series.errors.inc();
      throw err;
    },
  );
}
