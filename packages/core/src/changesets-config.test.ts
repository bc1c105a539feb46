import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { preStateNeedsMigration, readChangesetFolder } from "./changesets-config.js";
import { PolyglotError } from "./errors.js";

const roots: string[] = [];
afterAll(() => Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))));

async function withPreJson(text: string): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "polyglot-pre-"));
  roots.push(root);
  await mkdir(path.join(root, ".changeset"));
  await writeFile(path.join(root, ".changeset/pre.json"), text);
  return root;
}

const legacy = (changesets: unknown[]) =>
  JSON.stringify({ mode: "pre", tag: "beta", initialVersions: {}, changesets });

describe("preStateNeedsMigration", () => {
  it("tells a Changesets 2 pre.json (migrated in place when read) from a current one", async () => {
    expect(preStateNeedsMigration(await withPreJson(legacy(["brave-lions-dance"])))).toBe(true);
    expect(preStateNeedsMigration(await withPreJson(JSON.stringify({ mode: "pre", tag: "beta" })))).toBe(
      false,
    );
  });

  it("refuses an id that is not a changeset name, before any library renames a file by it", async () => {
    for (const id of ["../../outside", "sub/dir", "..", 7]) {
      const root = await withPreJson(legacy([id]));
      const error = (() => {
        try {
          preStateNeedsMigration(root);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(PolyglotError);
      expect(error).toMatchObject({
        code: "changesets-config-invalid",
        file: ".changeset/pre.json",
        setting: "changesets",
      });
      // readChangesetFolder (the suite's predictions, publish) refuses it before reading a scratch copy too.
      await expect(readChangesetFolder(root, async () => "read")).rejects.toBeInstanceOf(PolyglotError);
    }
  });

  it("names invalid JSON without quoting the file", async () => {
    const root = await withPreJson('{"mode":"pre",\n::error title=INJECTED::x\n');
    expect(() => preStateNeedsMigration(root)).toThrow(/^invalid JSON/);
    expect(() => preStateNeedsMigration(root)).not.toThrow(/INJECTED/);
  });
});
