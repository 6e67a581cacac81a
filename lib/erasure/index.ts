export {
  AccountErasure,
  ErasureLeaseLostError,
  type AccountErasureDeps,
  type StepRunner,
} from "./account-erasure";
export { ErasureSchedule } from "./schedule";
export {
  ERASURE_STEPS,
  erasureStepParams,
  erasureStepResult,
  type ErasureProgress,
  type ErasureStep,
  type ErasureStepParams,
} from "./params";
export { erasureTables } from "./tables";
