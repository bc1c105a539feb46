import * as fs from "node:fs";
import path from "node:path";
import { PolyglotError } from "@polyglot-changesets/core";

/** One file's planned new content; `before` undefined means the file is created. */
export interface PlannedWrite {
  file: string;
  relativeFile: string;
  before: string | undefined;
  after: string;
}

/** The file operations `applyWrites` uses; tests pass failing ones. */
export interface WriteFs {
  readFile(file: string, encoding: "utf8"): Promise<string>;
  writeFile(file: string, data: string, options: { mode?: number }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(file: string, options: { force: boolean }): Promise<void>;
  stat(file: string): Promise<{ mode: number }>;
}

// Synchronous calls behind the async interface: writing 1,000 small files this way is several times faster
// than through the thread pool, and the order of operations stays exactly as written.
const nodeFs: WriteFs = {
  readFile: async (file, encoding) => fs.readFileSync(file, encoding),
  writeFile: async (file, data, options) => fs.writeFileSync(file, data, options),
  rename: async (from, to) => fs.renameSync(from, to),
  rm: async (file, options) => fs.rmSync(file, options),
  stat: async (file) => fs.statSync(file),
};

function tempPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.polyglot-${process.pid}.tmp`);
}

/**
 * Writes every planned file or none: first checks nothing changed on disk since planning, then writes every
 * new content to a temp file beside its target, then renames them into place. If any step fails, the temp
 * files are removed and files already renamed get their old content back.
 */
export async function applyWrites(writes: readonly PlannedWrite[], io: WriteFs = nodeFs): Promise<void> {
  await assertUnchanged(writes, io);
  const staged: PlannedWrite[] = [];
  try {
    for (const write of writes) {
      const mode = write.before === undefined ? undefined : (await io.stat(write.file)).mode;
      staged.push(write);
      await io.writeFile(tempPath(write.file), write.after, mode === undefined ? {} : { mode });
    }
  } catch (error) {
    await Promise.all(staged.map((write) => io.rm(tempPath(write.file), { force: true })));
    throw writeFailed(error, staged.at(-1));
  }
  const renamed: PlannedWrite[] = [];
  try {
    for (const write of writes) {
      await io.rename(tempPath(write.file), write.file);
      renamed.push(write);
    }
  } catch (error) {
    await restore(writes, renamed, io);
    throw writeFailed(error, writes[renamed.length]);
  }
}

async function assertUnchanged(writes: readonly PlannedWrite[], io: WriteFs): Promise<void> {
  const current = await Promise.all(
    writes.map((write) => io.readFile(write.file, "utf8").catch(() => undefined)),
  );
  writes.forEach((write, index) => {
    if (current[index] !== write.before) {
      throw new PolyglotError(
        "the file changed on disk while polyglot-version was planning; nothing was written",
        {
          file: write.relativeFile,
          fix: "run polyglot-version again",
          exitCode: 1,
        },
      );
    }
  });
}

async function restore(writes: readonly PlannedWrite[], renamed: PlannedWrite[], io: WriteFs): Promise<void> {
  const pending = writes.filter((write) => !renamed.includes(write));
  await Promise.all(pending.map((write) => io.rm(tempPath(write.file), { force: true })));
  for (const write of renamed) {
    if (write.before === undefined) await io.rm(write.file, { force: true });
    else await io.writeFile(write.file, write.before, {});
  }
}

function writeFailed(error: unknown, write: PlannedWrite | undefined): PolyglotError {
  const reason = error instanceof Error ? error.message : String(error);
  return new PolyglotError(`could not write the synced files (${reason}); every file was left as it was`, {
    ...(write ? { file: write.relativeFile } : {}),
    fix: "make the files writable and run polyglot-version --sync-only",
    exitCode: 1,
  });
}
