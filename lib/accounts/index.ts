export {
  Accounts,
  type AvatarSource,
  type Caller,
  type IdSource,
  type OwnerMediaAccess,
  type RelationshipSource,
  type SignedIn,
} from "./accounts";
export { AccessTokens } from "./access-tokens";
export { accountTables } from "./tables";
export { loadTokenSecret } from "./token-secret";
export type { UserView } from "./user-view";
