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

/** Node's fs, failing the `nth` call of one operation. */
function failing(operation: "writeFile" | "rename", nth: number): WriteFs {
  let calls = 0;
  const fail = () => {
    calls++;
    if (calls === nth) throw Object.assign(new Error(`injected ${operation} failure`), { code: "EIO" });
  };
  return {
    readFile: fs.readFile,
    stat: fs.stat,
    rm: fs.rm,
    writeFile: async (file, data, options) => {
      if (operation === "writeFile") fail();
      await fs.writeFile(file, data, options);
    },
    rename: async (from, to) => {
      if (operation === "rename") fail();
      await fs.rename(from, to);
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

  it("writes nothing when a temp file cannot be written", async () => {
    const files = { "a.toml": "a = 1\n", "b.py": "v = 1\n" };
    const dir = await folderWith(files);
    const error = await applyWrites(
      [planned(dir, "a.toml", "a = 1\n", "a = 2\n"), planned(dir, "b.py", "v = 1\n", "v = 2\n")],
      failing("writeFile", 2),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PolyglotError);
    expect((error as PolyglotError).file).toBe("b.py");
    expect((error as PolyglotError).message).toMatch(/injected writeFile failure.*left as it was/);
    expect(await contents(dir)).toEqual(files);
  });

  it("restores the files already renamed when a later rename fails", async () => {
    const files = { "a.toml": "a = 1\n", "b.py": "v = 1\n", "c.lock": "c 1\n" };
    const dir = await folderWith(files);
    const error = await applyWrites(
      [
        planned(dir, "a.toml", "a = 1\n", "a = 2\n"),
        planned(dir, "new.md", undefined, "new\n"),
        planned(dir, "b.py", "v = 1\n", "v = 2\n"),
        planned(dir, "c.lock", "c 1\n", "c 2\n"),
      ],
      failing("rename", 3),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PolyglotError);
    expect((error as PolyglotError).file).toBe("b.py");
    expect(await contents(dir)).toEqual(files);
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
