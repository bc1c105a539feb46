import { readFile } from "node:fs/promises";
import path from "node:path";
import { PolyglotError } from "./errors.js";

/**
 * Reads each file at most once per run (discovery and planning share it) and keeps what was parsed from it.
 * Missing files read as undefined; an unreadable file (a folder, no permission) is an error naming it.
 */
export class FileCache {
  readonly #texts = new Map<string, Promise<string | undefined>>();
  readonly #derived = new Map<string, unknown>();
  #root: string | undefined;

  /** Names files relative to `root` in errors. */
  setRoot(root: string): void {
    this.#root = root;
  }

  read(file: string): Promise<string | undefined> {
    let text = this.#texts.get(file);
    if (!text) {
      text = readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw this.#unreadable(file, error);
      });
      this.#texts.set(file, text);
    }
    return text;
  }

  /** `compute()` once per file and kind (e.g. the parsed facts of a manifest). */
  derive<T>(file: string, kind: string, compute: () => T): T {
    const key = `${kind}\0${file}`;
    if (!this.#derived.has(key)) this.#derived.set(key, compute());
    return this.#derived.get(key) as T;
  }

  #unreadable(file: string, error: NodeJS.ErrnoException): PolyglotError {
    const name = this.#root ? path.relative(this.#root, file).split(path.sep).join("/") : file;
    const reason =
      error.code === "EISDIR" ? "is a folder, not a file" : `cannot be read (${error.code ?? error.message})`;
    return new PolyglotError(`${name} ${reason}`, {
      file: name,
      fix: `make ${name} a readable file (or remove it); nothing was written`,
    });
  }
}
