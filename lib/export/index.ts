export { Exports, exportKeyOf, EXPORT_KEEP_MS, type ExportsDeps, type ReaderFor } from "./exports";
export { type ExportReader } from "./archive";
export { ExportUrlSigner, deriveExportUrlKey, exportPathOf, type DownloadCheck } from "./download-urls";
export { exportTables } from "./tables";
export { exportObject, type ExportView } from "./params";
