export { Admin, type AdminCluster, type AdminDeps } from "./admin";
export {
  authorityOf,
  ConsoleOnlyError,
  describeAuthority,
  NotAdminError,
  NotModeratorError,
  type AdminMeta,
  type Authority,
} from "./authority";
export type { AdminUser } from "./params";
