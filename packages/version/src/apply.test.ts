import * as fs from "node:fs/promises";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PolyglotError } from "@polyglot-changesets/core";
import { afterEach, describe, expect, it } from "vitest";
import { applyWrites, type PlannedWrite, type WriteFs } from "./apply.js";

const dirs: string[] = [];

async function folderWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "polyglot-apply-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

async function contents(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir)).sort();
  const texts = await Promise.all(names.map((name) => readFile(path.join(dir, name), "utf8")));
  return Object.fromEntries(names.map((name, index) => [name, texts[index]!]));
}

function planned(dir: string, name: string, before: string | undefined, after: string): PlannedWrite {
  return { file: path.join(dir, name), relativeFile: name, before, after };
}

/**
 * Node's fs whose `nth` write fails the way a full disk does: the file is already truncated when the error
 * comes. `restoreFails` makes every later write of that file fail too.
 */
function diskFullAt(nth: number, restoreFails = false): WriteFs {
  let calls = 0;
  let broken: string | undefined;
  return {
    readFile: fs.readFile,
    rm: fs.rm,
    access: fs.access,
    writeFile: async (file, data) => {
      calls++;
      if (calls === nth || (restoreFails && file === broken)) {
        broken = file;
        await fs.writeFile(file, "");
        throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
      }
      await fs.writeFile(file, data);
    },
  };
}

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("applyWrites", () => {
  it("writes every file, creates new ones and keeps the file mode", async () => {
    const dir = await folderWith({ "a.toml": "a = 1\n", "b.py": "v = 1\n" });
    await fs.chmod(path.join(dir, "b.py"), 0o755);
    await applyWrites([
      planned(dir, "a.toml", "a = 1\n", "a = 2\n"),
      planned(dir, "b.py", "v = 1\n", "v = 2\n"),
      planned(dir, "CHANGELOG.md", undefined, "# new\n"),
    ]);
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
      diskFullAt(3),
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
      diskFullAt(2, true),
    ).catch((caught: unknown) => caught);
    expect((error as PolyglotError).message).toMatch(
      /could not restore b\.py \(restore them with git checkout\)/,
    );
    expect(await contents(dir)).toEqual({ "a.toml": "a = 1\n", "b.py": "" });
  });

  it("writes nothing when a file is not writable", async () => {
    const dir = await folderWith({ "a.toml": "a = 1\n", "b.py": "v = 1\n" });
    const readOnly: WriteFs = {
      ...diskFullAt(0),
      access: async (file) => {
        if (file.endsWith("b.py")) throw Object.assign(new Error("EACCES"), { code: "EACCES" });
      },
    };
    const error = await applyWrites(
      [planned(dir, "a.toml", "a = 1\n", "a = 2\n"), planned(dir, "b.py", "v = 1\n", "v = 2\n")],
      readOnly,
    ).catch((caught: unknown) => caught);
    expect((error as PolyglotError).message).toBe("cannot write b.py (EACCES); nothing was written");
    expect(await contents(dir)).toEqual({ "a.toml": "a = 1\n", "b.py": "v = 1\n" });
  });

  it("refuses to write when a file changed since planning", async () => {
    const dir = await folderWith({ "a.toml": "a = 9\n" });
    const error = await applyWrites([planned(dir, "a.toml", "a = 1\n", "a = 2\n")]).catch(
      (caught: unknown) => caught,
    );
    expect((error as PolyglotError).message).toMatch(/changed on disk/);
    expect(await contents(dir)).toEqual({ "a.toml": "a = 9\n" });
  });
});
