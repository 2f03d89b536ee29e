/** Reading a journal straight from a Storage (the device's own, or a folder through FsStorage). */
import type { Storage } from '../../hal/storage.ts';
import { FILE_NAME_RE } from './format.ts';
import { readJournal, type JournalFileInput, type ReadOptions, type ReadResult } from './reader.ts';

/** Journal files under `dir`, in order. */
export async function listJournalFiles(storage: Storage, dir = 'journal'): Promise<string[]> {
  const prefix = `${dir}/`;
  return (await storage.list(prefix))
    .map((f) => f.path)
    .filter((p) => FILE_NAME_RE.test(p.slice(prefix.length)))
    .sort();
}

export async function readJournalFromStorage(storage: Storage, options: ReadOptions & { dir?: string } = {}): Promise<ReadResult> {
  const files: JournalFileInput[] = [];
  for (const path of await listJournalFiles(storage, options.dir)) files.push({ name: path, bytes: await storage.read(path) });
  return readJournal(files, options);
}
