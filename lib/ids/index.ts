export {
  ClockMovedBackwardsError,
  InvalidIdError,
  MAX_WORKER_ID,
  MOSAIC_EPOCH_MS,
  SnowflakeGenerator,
  TimestampOutOfRangeError,
  compareCanonicalIds,
  compareIds,
  idAtTime,
  idSequence,
  idTimestamp,
  idWorker,
  isId,
  parseId,
} from "./snowflake";
export type { SnowflakeOptions } from "./snowflake";
