export {
  Accounts,
  type AvatarSource,
  type Caller,
  type IdSource,
  type OwnerMediaAccess,
  type PublicProfile,
  type RelationshipSource,
  type SignedIn,
  type VerificationPending,
} from "./accounts";
export { AccessTokens } from "./access-tokens";
export { accountTables } from "./tables";
export { loadTokenSecret } from "./token-secret";
export type { UserView } from "./user-view";
export {
  CALLER_PROOF_TTL_MS,
  CallerProofs,
  deriveCallerKey,
  type ProofCheck,
  type ProvenCaller,
  type ProvenOperator,
} from "./caller-proof";
export { Recovery, type VerificationMode } from "./recovery";
export { AccountStanding, FOREVER_UNTIL, ROLES, roleOf, suspendedUntil, type Role } from "./standing";
