export {
  AuditLog,
  auditDay,
  parseAuditDay,
  summariseParams,
  type AuditEntry,
  type AuditRow,
} from "./audit-log";
export { AUDIT_TTL_SECONDS, auditLog, auditTables } from "./tables";
