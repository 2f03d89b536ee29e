/**
 * The shift journal: public API. Firmware services code against `JournalWriter`; the board
 * opens the journal with `openJournal`; tools read and verify with `readJournal`/`verifyJournal`
 * (bytes in, report out) or `readJournalFromStorage`.
 */
export * from './entries.ts';
export * from './errors.ts';
export {
  Journal,
  openJournal,
  DEFAULT_CHECKPOINT_EVERY_RECORDS,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_GROUP_COMMIT_MS,
  DEFAULT_MAX_FILE_BYTES,
  type CorrectionAuthority,
  type OpenJournalOptions,
  type RecoveryCut,
  type RecoveryReport,
} from './journal.ts';
export {
  readJournal,
  verifyJournal,
  TRUNCATION_PROBLEMS,
  type FileEnd,
  type FileSummary,
  type JournalFileInput,
  type JournalRecord,
  type JournalStatus,
  type Problem,
  type ProblemCode,
  type ReadOptions,
  type ReadResult,
  type VerifyReport,
} from './reader.ts';
export { readJournalFromStorage, listJournalFiles } from './storage-reader.ts';
export { CHECKPOINT, FILE_HEADER, CHECKPOINT_REASONS, checkpointMessage, type CheckpointReason, type SignedCheckpoint } from './format.ts';
