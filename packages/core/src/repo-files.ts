import * as fs from "node:fs";
import path from "node:path";
import type { ErrorCode } from "./error-codes.js";
import { PolyglotError } from "./errors.js";

/**
 * The one way core and polyglot-version touch files of the repo, which is untrusted input: every path is
 * resolved with its symlinks followed and must stay inside the repo root; only regular files are read or
 * written (a FIFO, a device or a folder is refused from its `lstat`/`stat`, never opened); every read is capped
 * at MAX_FILE_BYTES and must be UTF-8; nothing is created through a symlink.
 */

/**
 * The largest file read (16 MiB): a pyproject, a lock file or a changelog is far smaller, and memory stays
 * bounded whatever the repo holds. (The sync journal, the run's own file, may be larger.)
 */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** Which setting made the run touch a path, to name it when the path is refused. */
export interface PathOrigin {
  /** e.g. `targets[0].versionFiles` or `[tool.hatch.version] path`. */
  setting: string;
  /** Repo-relative file holding the setting. */
  file: string;
}

/** A path checked to be inside the repo; `real` has every symlink resolved. */
export interface RepoPath {
  real: string;
  /** `lstat` of the real path; undefined when the file does not exist yet. */
  stats: fs.Stats | undefined;
}

function isInside(root: string, file: string): boolean {
  return file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function relativeName(root: string, file: string): string {
  const relative = path.relative(root, file).split(path.sep).join("/");
  return relative.startsWith("..") || path.isAbsolute(relative) ? JSON.stringify(file) : relative || ".";
}

function refused(
  root: string,
  file: string,
  problem: string,
  origin: PathOrigin | undefined,
  code: ErrorCode = "path-outside-repo",
): PolyglotError {
  const name = relativeName(root, file);
  if (origin) {
    return new PolyglotError(`${origin.setting} points at ${name}, which ${problem}`, {
      code,
      file: origin.file,
      setting: origin.setting,
      fix: `point ${origin.setting} at a regular file inside the repo; nothing was written`,
    });
  }
  return new PolyglotError(`${name} ${problem}`, {
    code,
    file: name,
    fix: `make ${name} a regular file inside the repo (not a symlink leading out of it, a FIFO or a device); nothing was written`,
  });
}

function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

function realpathOrUndefined(file: string): string | undefined {
  try {
    return fs.realpathSync.native(file);
  } catch {
    return undefined;
  }
}

function lstatOrUndefined(file: string): fs.Stats | undefined {
  try {
    // Most probes miss (a Cargo.toml beside a pyproject): no exception object for those.
    return fs.lstatSync(file, { throwIfNoEntry: false });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

function kindOf(stats: fs.Stats): string {
  if (stats.isDirectory()) return "a folder";
  if (stats.isFIFO()) return "a FIFO";
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return "a device";
  if (stats.isSocket()) return "a socket";
  return "not a file";
}

/** The files of one repo. Folder real paths are cached for the life of the instance (one run step). */
export class RepoFiles {
  readonly root: string;
  readonly realRoot: string;
  readonly #realDirs = new Map<string, string | undefined>();
  /**
   * Paths already resolved, by absolute path. Safe to reuse within the instance: a read or write opens with
   * O_NOFOLLOW, so a file swapped for a symlink meanwhile fails there; creating and removing update the entry.
   */
  readonly #resolved = new Map<string, RepoPath>();

  constructor(root: string) {
    this.root = path.resolve(root);
    this.realRoot = fs.realpathSync.native(this.root);
  }

  /** `file` relative to the root with `/` separators (quoted when outside). */
  relative(file: string): string {
    return relativeName(this.root, path.resolve(this.root, file));
  }

  /**
   * Resolves `file` inside the repo: `..`, an absolute path elsewhere, a symlink (of the file or of a folder
   * above it) leading out of the repo, and a dangling symlink are refused, as is anything but a regular file.
   * A missing file resolves through the real path of its deepest existing folder.
   */
  resolve(file: string, origin?: PathOrigin): RepoPath {
    const absolute = path.resolve(this.root, file);
    const known = this.#resolved.get(absolute);
    if (known) return known;
    const resolved = this.#resolveNow(absolute, origin);
    this.#resolved.set(absolute, resolved);
    return resolved;
  }

  #resolveNow(absolute: string, origin: PathOrigin | undefined): RepoPath {
    if (!isInside(this.root, absolute)) throw refused(this.root, absolute, "is outside the repo", origin);
    const dir = this.#realDir(path.dirname(absolute));
    if (dir === undefined) {
      if (this.#underLink(path.dirname(absolute)))
        throw refused(this.root, absolute, "lies under a symlink to a missing folder", origin);
      return { real: absolute, stats: undefined };
    }
    let real = path.join(dir, path.basename(absolute));
    let stats = lstatOrUndefined(real);
    if (stats?.isSymbolicLink()) {
      try {
        real = fs.realpathSync.native(real);
      } catch {
        throw refused(
          this.root,
          absolute,
          "is a symlink to a missing file (nothing is created through a symlink)",
          origin,
        );
      }
      stats = fs.lstatSync(real);
    }
    if (!isInside(this.realRoot, real))
      throw refused(this.root, absolute, "leads outside the repo through a symlink", origin);
    if (stats && !stats.isFile())
      throw refused(
        this.root,
        absolute,
        `is ${kindOf(stats)}, not a regular file`,
        origin,
        "not-a-regular-file",
      );
    return { real, stats };
  }

  /**
   * The real path of a folder, undefined if it does not exist (or is a dangling symlink). Built from the
   * cached real path of its parent and one `lstat`, so a run costs one syscall per new folder.
   */
  #realDir(dir: string): string | undefined {
    if (this.#realDirs.has(dir)) return this.#realDirs.get(dir);
    const parent = path.dirname(dir);
    let real: string | undefined;
    if (parent === dir || !isInside(this.root, dir) || dir === this.root) real = realpathOrUndefined(dir);
    else {
      const stats = fs.lstatSync(dir, { throwIfNoEntry: false });
      if (stats?.isSymbolicLink()) real = realpathOrUndefined(dir);
      else {
        const realParent = this.#realDir(parent);
        real = realParent === undefined ? undefined : path.join(realParent, path.basename(dir));
      }
    }
    this.#realDirs.set(dir, real);
    return real;
  }

  #underLink(dir: string): boolean {
    for (let current = dir; isInside(this.root, current) && current !== this.root; ) {
      if (isLink(current)) return true;
      current = path.dirname(current);
    }
    return false;
  }

  /**
   * The text of a repo file, undefined when it does not exist. Refused (a PolyglotError naming the file, or the
   * setting in `origin`): outside the repo, not a regular file, larger than MAX_FILE_BYTES, not UTF-8.
   */
  read(file: string, origin?: PathOrigin, maxBytes = MAX_FILE_BYTES): string | undefined {
    try {
      return this.#read(file, origin, maxBytes);
    } catch (error) {
      throw this.#explained(error, file, "read");
    }
  }

  #read(file: string, origin: PathOrigin | undefined, maxBytes: number): string | undefined {
    const { real, stats } = this.resolve(file, origin);
    if (!stats) return undefined;
    const absolute = path.resolve(this.root, file);
    const tooLarge = () =>
      refused(this.root, absolute, `is larger than ${maxBytes} bytes`, origin, "not-a-regular-file");
    if (stats.size > maxBytes) throw tooLarge();
    const bytes = readCapped(real, maxBytes);
    if (bytes === undefined) throw tooLarge();
    try {
      return utf8.decode(bytes);
    } catch {
      const name = this.relative(absolute);
      throw new PolyglotError(`${name} is not valid UTF-8; it was left as it is`, {
        code: "not-a-regular-file",
        file: name,
        ...(origin ? { setting: origin.setting } : {}),
        fix: "save the file as UTF-8",
      });
    }
  }

  /** A system error (no permission, I/O error) as a PolyglotError naming the file. */
  #explained(error: unknown, file: string, verb: "read" | "written"): unknown {
    if (error instanceof PolyglotError || !(error instanceof Error)) return error;
    const name = this.relative(file);
    const code = (error as NodeJS.ErrnoException).code ?? error.message;
    return new PolyglotError(`${name} cannot be ${verb} (${code})`, {
      code: "file-unreadable",
      file: name,
      fix: `make ${name} a ${verb === "read" ? "readable" : "writable"} regular file; nothing was written`,
    });
  }

  /**
   * Replaces (or creates) a repo file in place. The path is resolved as for reads; an existing file is opened
   * without following a symlink, a new one is created exclusively (never through a link planted meanwhile).
   */
  write(file: string, text: string, options: { origin?: PathOrigin; fsync?: boolean } = {}): void {
    const { real, stats } = this.resolve(file, options.origin);
    const { O_WRONLY, O_TRUNC, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
    const flags = stats ? O_WRONLY | O_TRUNC | O_NOFOLLOW | O_NONBLOCK : O_WRONLY | O_CREAT | O_EXCL;
    const fd = fs.openSync(real, flags, 0o666);
    try {
      const bytes = Buffer.from(text, "utf8");
      for (let written = 0; written < bytes.length; ) {
        written += fs.writeSync(fd, bytes, written, bytes.length - written);
      }
      if (options.fsync) fs.fsyncSync(fd);
      if (!stats) this.#resolved.set(path.resolve(this.root, file), { real, stats: fs.fstatSync(fd) });
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Removes a repo file (a regular file inside the repo); a missing one is fine. */
  remove(file: string): void {
    const { real, stats } = this.resolve(file);
    if (stats) fs.rmSync(real, { force: true });
    this.#resolved.delete(path.resolve(this.root, file));
  }

  /**
   * Throws (naming the file and the fix) unless `file`, or the folder a new file goes into, can be written. A
   * file whose mode grants nobody write permission counts as read-only even for root: it was made so on purpose.
   */
  assertWritable(file: string, origin?: PathOrigin): void {
    const { real, stats } = this.resolve(file, origin);
    try {
      if (stats && (stats.mode & 0o222) === 0)
        throw Object.assign(new Error("read-only"), { code: "EACCES" });
      fs.accessSync(stats ? real : path.dirname(real), fs.constants.W_OK);
    } catch (error) {
      const name = this.relative(file);
      throw new PolyglotError(
        `cannot write ${name} (${(error as NodeJS.ErrnoException).code ?? String(error)}); nothing was written`,
        {
          code: "write-failed",
          file: name,
          fix: `make ${name} writable, then run polyglot-version again`,
          exitCode: 1,
        },
      );
    }
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Reads at most `maxBytes` (undefined beyond); non-blocking and without following a swapped-in link. */
function readCapped(real: string, maxBytes: number): Buffer | undefined {
  const fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  try {
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) throw new Error(`${real} changed into ${kindOf(stats)} while being read`);
    const chunks: Buffer[] = [];
    let total = 0;
    // One byte more than the size: a short read then is the end of the file, without a second read call.
    let buffer = Buffer.allocUnsafe(Math.min(stats.size, maxBytes) + 1);
    for (;;) {
      const read = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      chunks.push(buffer.subarray(0, read));
      total += read;
      if (total > maxBytes) return undefined;
      if (read < buffer.length && total === stats.size) break;
      buffer = Buffer.allocUnsafe(64 * 1024);
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    fs.closeSync(fd);
  }
}
