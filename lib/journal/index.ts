export { WriteJournal, type WriteJournalDeps } from "./write-journal";
export { journalOps, type Completer, type JournalArgs, type JournalOp } from "./ops";
export { journalTables, pendingWrites } from "./tables";
export { JournalResumer } from "./resumer";
