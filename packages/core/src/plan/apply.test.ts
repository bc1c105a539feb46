import * as fs from "node:fs/promises";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PolyglotError } from "../errors.js";
import { RepoFiles } from "../repo-files.js";
import { applyWrites, type PlannedWrite, repoWriteFs, type WriteFs } from "./apply.js";
import { journalFile, recoverInterruptedSync, writeJournal } from "./journal.js";

const dirs: string[] = [];

async function folderWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "polyglot-apply-"));
  dirs.push(dir);
  // The journal goes into .git/ (left out of `contents`).
  await mkdir(path.join(dir, ".git"));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

async function contents(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir)).filter((name) => name !== ".git").sort();
  const texts = await Promise.all(names.map((name) => readFile(path.join(dir, name), "utf8")));
  return Object.fromEntries(names.map((name, index) => [name, texts[index]!]));
}

function planned(dir: string, name: string, before: string | undefined, after: string): PlannedWrite {
  return { file: path.join(dir, name), relativeFile: name, before, after };
}

/**
 * The repo's file access whose `nth` write fails the way a full disk does: the file is already truncated when
 * the error comes. `restoreFails` makes every later write of that file fail too.
 */
function diskFullAt(repo: RepoFiles, nth: number, restoreFails = false): WriteFs {
  const real = repoWriteFs(repo);
  let calls = 0;
  let broken: string | undefined;
  return {
    ...real,
    write: (file, data) => {
      calls++;
      if (calls === nth || (restoreFails && file === broken)) {
        broken = file;
        real.write(file, "");
        throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
      }
      real.write(file, data);
    },
  };
}

const repoOf = (dir: string) => new RepoFiles(dir);

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("applyWrites", () => {
  it("writes every file, creates new ones and keeps the file mode", async () => {
    const dir = await folderWith({ "a.toml": "a = 1\n", "b.py": "v = 1\n" });
    await fs.chmod(path.join(dir, "b.py"), 0o755);
    await applyWrites(
      [
        planned(dir, "a.toml", "a = 1\n", "a = 2\n"),
        planned(dir, "b.py", "v = 1\n", "v = 2\n"),
        planned(dir, "CHANGELOG.md", undefined, "# new\n"),
      ],
      { repo: repoOf(dir) },
    );
    expect(await contents(dir)).toEqual({
      "CHANGELOG.md": "# new\n",
      "a.toml": "a = 2\n",
      "b.py": "v = 2\n",
    });
    expect((await stat(path.join(dir, "b.py"))).mode & 0o777).toBe(0o755);
  });

  it("restores every file written so far, the failing one included, and removes created ones", async () => {
    const files = { "a.toml": "a = 1\n", "b.py": "v = 1\n", "c.lock": "c 1\n" };
    const dir = await folderWith(files);
    const error = await applyWrites(
      [
        planned(dir, "a.toml", "a = 1\n", "a = 2\n"),
        planned(dir, "new.md", undefined, "new\n"),
        planned(dir, "b.py", "v = 1\n", "v = 2\n"),
        planned(dir, "c.lock", "c 1\n", "c 2\n"),
      ],
      { repo: repoOf(dir), io: diskFullAt(repoOf(dir), 3) },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PolyglotError);
    expect((error as PolyglotError).file).toBe("b.py");
    expect((error as PolyglotError).message).toMatch(/ENOSPC.*every file was left as it was/);
    expect(await contents(dir)).toEqual(files);
  });

  it("names a file it could not restore", async () => {
    const dir = await folderWith({ "a.toml": "a = 1\n", "b.py": "v = 1\n" });
    const error = await applyWrites(
      [planned(dir, "a.toml", "a = 1\n", "a = 2\n"), planned(dir, "b.py", "v = 1\n", "v = 2\n")],
      { repo: repoOf(dir), io: diskFullAt(repoOf(dir), 2, true) },
    ).catch((caught: unknown) => caught);
    expect((error as PolyglotError).message).toMatch(
      /could not restore b\.py \(the next polyglot-version run restores them from its journal\)/,
    );
    expect(await contents(dir)).toEqual({ "a.toml": "a = 1\n", "b.py": "" });
    // The journal stayed: the next run puts b.py back.
    expect(recoverInterruptedSync(repoOf(dir))).toMatch(/restored 1 of its 2 files .*b\.py/);
    expect(await contents(dir)).toEqual({ "a.toml": "a = 1\n", "b.py": "v = 1\n" });
  });

  it("writes nothing when a file is not writable", async () => {
    const dir = await folderWith({ "a.toml": "a = 1\n", "b.py": "v = 1\n" });
    await fs.chmod(path.join(dir, "b.py"), 0o444);
    const error = await applyWrites(
      [planned(dir, "a.toml", "a = 1\n", "a = 2\n"), planned(dir, "b.py", "v = 1\n", "v = 2\n")],
      { repo: repoOf(dir) },
    ).catch((caught: unknown) => caught);
    expect((error as PolyglotError).message).toBe("cannot write b.py (EACCES); nothing was written");
    expect(await contents(dir)).toEqual({ "a.toml": "a = 1\n", "b.py": "v = 1\n" });
  });

  it("refuses to write when a file changed since planning", async () => {
    const dir = await folderWith({ "a.toml": "a = 9\n" });
    const error = await applyWrites([planned(dir, "a.toml", "a = 1\n", "a = 2\n")], {
      repo: repoOf(dir),
    }).catch((caught: unknown) => caught);
    expect((error as PolyglotError).message).toMatch(/changed on disk/);
    expect(await contents(dir)).toEqual({ "a.toml": "a = 9\n" });
  });

  it("leaves no journal behind after a sync, and writes nothing outside the repo through a symlink", async () => {
    const outside = await folderWith({ "target.txt": "outside\n" });
    const dir = await folderWith({ "a.toml": "a = 1\n" });
    await fs.symlink(path.join(outside, "target.txt"), path.join(dir, "link.txt"));
    const error = await applyWrites(
      [planned(dir, "a.toml", "a = 1\n", "a = 2\n"), planned(dir, "link.txt", "outside\n", "x\n")],
      { repo: repoOf(dir) },
    ).catch((caught: unknown) => caught);
    expect((error as PolyglotError).message).toBe("link.txt leads outside the repo through a symlink");
    expect(await readFile(path.join(outside, "target.txt"), "utf8")).toBe("outside\n");
    await applyWrites([planned(dir, "a.toml", "a = 1\n", "a = 2\n")], { repo: repoOf(dir) });
    await expect(stat(path.join(dir, journalFile(dir)))).rejects.toThrow(/ENOENT/);
  });
});

describe("recoverInterruptedSync", () => {
  it("rolls a half-written sync back to the old content, and says so", async () => {
    const dir = await folderWith({ "a.toml": "a = 2\n", "b.py": "" });
    const writes = [
      { relativeFile: "a.toml", before: "a = 1\n", after: "a = 2\n" },
      { relativeFile: "b.py", before: "v = 1\n", after: "v = 2\n" },
      { relativeFile: "new.md", before: undefined, after: "new\n" },
    ];
    writeJournal(repoOf(dir), writes);
    expect(recoverInterruptedSync(repoOf(dir))).toMatch(/interrupted mid-write: restored 2 of its 3 files/);
    expect(await contents(dir)).toEqual({ "a.toml": "a = 1\n", "b.py": "v = 1\n" });
    expect(recoverInterruptedSync(repoOf(dir))).toBeUndefined();
  });

  it("only removes the journal of a sync that had written every file", async () => {
    const dir = await folderWith({ "a.toml": "a = 2\n" });
    writeJournal(repoOf(dir), [{ relativeFile: "a.toml", before: "a = 1\n", after: "a = 2\n" }]);
    expect(recoverInterruptedSync(repoOf(dir))).toMatch(/had written every one of its files \(1\)/);
    expect(await contents(dir)).toEqual({ "a.toml": "a = 2\n" });
  });

  it("drops a journal cut short (no file was written yet)", async () => {
    const dir = await folderWith({ "a.toml": "a = 1\n" });
    await writeFile(path.join(dir, journalFile(dir)), '{"format":"polyglot-sync-jour');
    expect(recoverInterruptedSync(repoOf(dir))).toMatch(/had not written any file yet/);
    expect(await contents(dir)).toEqual({ "a.toml": "a = 1\n" });
  });
});
