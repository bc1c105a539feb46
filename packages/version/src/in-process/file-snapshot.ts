import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";

/**
 * The bytes of a set of files before `applyReleasePlan` writes them (undefined: the file did not exist), so a
 * failure later in the same run (a formatter, the sync of the targets) puts every one of them back.
 */
export class FileSnapshot {
  private readonly saved = new Map<string, Buffer | undefined>();

  constructor(files: Iterable<string>) {
    for (const file of files) {
      if (this.saved.has(file)) continue;
      this.saved.set(file, existsSync(file) ? readFileSync(file) : undefined);
    }
  }

  /** Restores every file; returns the ones that could not be restored. */
  restore(): string[] {
    const failed: string[] = [];
    for (const [file, bytes] of this.saved) {
      try {
        if (bytes === undefined) rmSync(file, { force: true });
        else writeFileSync(file, bytes);
      } catch {
        failed.push(file);
      }
    }
    return failed;
  }
}
