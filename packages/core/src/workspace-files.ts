import { readFile } from "node:fs/promises";

/**
 * Reads each file at most once per run (discovery and planning share it). Missing files read as undefined.
 * Concurrent reads of the same file share one promise.
 */
export class FileCache {
  readonly #texts = new Map<string, Promise<string | undefined>>();

  read(file: string): Promise<string | undefined> {
    let text = this.#texts.get(file);
    if (!text) {
      text = readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined;
        throw error;
      });
      this.#texts.set(file, text);
    }
    return text;
  }

  /** Forget a file, e.g. after another tool (changeset version) rewrote it. */
  forget(file: string): void {
    this.#texts.delete(file);
  }
}
