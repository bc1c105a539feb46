import * as fs from "node:fs";
import path from "node:path";
import { PolyglotError } from "../errors.js";
import type { RepoFiles } from "../repo-files.js";

/**
 * The sync journal makes the in-place writes crash-safe: before the first write, one file records every
 * planned file's old and new content (fsync'd); it is removed once every file is written. A run that finds it
 * was killed mid-write: every later run first rolls the files back to their old content (or, when all of them
 * were already written, just removes it) and says so. The journal lives where `git status` does not show it:
 * `.git/` when `.git` is a folder, else `node_modules/.cache/polyglot-changesets/`.
 */

const FORMAT = "polyglot-sync-journal/1";
/** The journal holds two copies of every synced file, each up to MAX_FILE_BYTES. */
const MAX_JOURNAL_BYTES = 512 * 1024 * 1024;

interface JournalEntry {
  /** Repo-relative path. */
  file: string;
  /** null: the file was created by the sync. */
  before: string | null;
  after: string;
}

export interface JournaledWrite {
  relativeFile: string;
  before: string | undefined;
  after: string;
}

/** Repo-relative path of the journal of `root`. */
export function journalFile(root: string): string {
  const git = fs.lstatSync(path.join(root, ".git"), { throwIfNoEntry: false });
  return git?.isDirectory()
    ? ".git/polyglot-sync-journal.json"
    : "node_modules/.cache/polyglot-changesets/sync-journal.json";
}

/** Records the writes about to be made; the journal must not exist yet (recovery runs first). */
export function writeJournal(repo: RepoFiles, writes: readonly JournaledWrite[]): string {
  const file = journalFile(repo.root);
  fs.mkdirSync(path.dirname(repo.resolve(file).real), { recursive: true });
  const entries: JournalEntry[] = writes.map((write) => ({
    file: write.relativeFile,
    before: write.before ?? null,
    after: write.after,
  }));
  repo.write(file, JSON.stringify({ format: FORMAT, entries }), { fsync: true });
  return file;
}

export function removeJournal(repo: RepoFiles): void {
  repo.remove(journalFile(repo.root));
}

/**
 * Finishes what a killed sync left: returns a line saying what was done, or undefined when there was no
 * journal. A journal cut short (the kill came while it was written) means no file was touched yet.
 */
export function recoverInterruptedSync(repo: RepoFiles): string | undefined {
  const file = journalFile(repo.root);
  const text = repo.read(file, undefined, MAX_JOURNAL_BYTES);
  if (text === undefined) return undefined;
  const entries = parseJournal(text);
  if (entries === undefined) {
    repo.remove(file);
    return `removed the journal of an interrupted sync (${file}); it had not written any file yet`;
  }
  const current = entries.map((entry) => repo.read(entry.file));
  if (entries.every((entry, index) => current[index] === entry.after)) {
    repo.remove(file);
    return `an interrupted sync had written every one of its files (${entries.length}); removed its journal (${file})`;
  }
  const restored = entries.filter((entry, index) => current[index] !== (entry.before ?? undefined));
  for (const entry of restored) {
    if (entry.before === null) repo.remove(entry.file);
    else repo.write(entry.file, entry.before);
  }
  repo.remove(file);
  return `a previous sync was interrupted mid-write: restored ${restored.length} of its ${entries.length} files to their content before it (${listed(restored.map((entry) => entry.file))}); run polyglot-version --sync-only to sync again`;
}

function listed(files: string[]): string {
  if (files.length === 0) return "none";
  const shown = files.slice(0, 5).join(", ");
  return files.length > 5 ? `${shown} and ${files.length - 5} more` : shown;
}

function parseJournal(text: string): JournalEntry[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const journal = value as { format?: unknown; entries?: unknown };
  if (journal?.format !== FORMAT || !Array.isArray(journal.entries)) {
    throw new PolyglotError("the sync journal is not one polyglot-version wrote", {
      code: "interrupted-sync",
      file: "polyglot-sync-journal.json",
      fix: "delete it, check the synced files with git status / git diff, then run polyglot-version again",
    });
  }
  return journal.entries.filter(isEntry);
}

function isEntry(value: unknown): value is JournalEntry {
  const entry = value as JournalEntry;
  return (
    typeof entry?.file === "string" &&
    (entry.before === null || typeof entry.before === "string") &&
    typeof entry.after === "string"
  );
}
