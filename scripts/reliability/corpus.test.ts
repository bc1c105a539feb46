// Bad-input corpus: every case of __fixtures__/corpus/<case>/ (a tree laid over __fixtures__/base/, and a
// case.json saying what must happen) runs `polyglot-version` and must end with a clear error (exit code, the file
// at fault, a fix, no stack trace) and leave every file byte-identical; then the same under --dry-run.
import { chmod, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { built, copyInto, remove, runPublish, runVersion, snapshot, tempDir } from "./helpers.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "__fixtures__");
const CORPUS = join(FIXTURES, "corpus");
const BASE = join(FIXTURES, "base");

interface CaseManifest {
  args: string[];
  exit: number;
  /** The error must name this file (or one of these). */
  file: string | string[];
  /** A regex the error output must match as well (e.g. the setting at fault). */
  match?: string;
  /** chmod these files (octal) before the run; restored before the after-snapshot. */
  chmod?: Record<string, number>;
  /** Root reads mode-000 files: such a case only means something for another user (CI runners are). */
  skipIfRoot?: boolean;
}

const names = (await readdir(CORPUS)).sort();
const isRoot = process.getuid?.() === 0;
const work: string[] = [];

async function prepare(name?: string): Promise<string> {
  const dir = await tempDir(`pc-corpus-${name ?? "base"}-`);
  work.push(dir);
  await copyInto(BASE, dir);
  if (name) {
    // A case may put a folder where the base has a file (an unreadable file): clear the way first.
    for (const rel of await folders(join(CORPUS, name, "tree"))) {
      if ((await stat(join(dir, rel)).catch(() => undefined))?.isFile()) await rm(join(dir, rel));
    }
    await copyInto(join(CORPUS, name, "tree"), dir);
  }
  return dir;
}

async function folders(root: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const sub = rel ? `${rel}/${entry.name}` : entry.name;
    out.push(sub, ...(await folders(root, sub)));
  }
  return out;
}

beforeAll(() => {
  if (!built("version")) throw new Error("build first: pnpm build (packages/version/dist is missing)");
});
afterAll(async () => {
  for (const dir of work) await remove(dir);
});

test("the corpus has at least 40 cases", () => {
  expect(names.length).toBeGreaterThanOrEqual(40);
});

test("the base tree every case is laid over is valid: polyglot-version versions and syncs it", async () => {
  const dir = await prepare();
  const result = await runVersion(dir, []);
  expect(result.code, result.stderr).toBe(0);
  const pyproject = await readFile(join(dir, "python/py/pyproject.toml"), "utf8");
  expect(pyproject).toMatch(/^version = "1\.1\.0"$/m);
});

describe.concurrent("bad input", () => {
  for (const name of names) {
    test(name, async ({ skip }) => {
      const manifest = JSON.parse(await readFile(join(CORPUS, name, "case.json"), "utf8")) as CaseManifest;
      if (manifest.skipIfRoot && isRoot) skip("running as root, which reads mode-000 files");
      const dir = await prepare(name);
      const before = await snapshot(dir);
      for (const [file, mode] of Object.entries(manifest.chmod ?? {})) await chmod(join(dir, file), mode);
      const result = await runVersion(dir, manifest.args);
      for (const file of Object.keys(manifest.chmod ?? {})) await chmod(join(dir, file), 0o644);
      const output = `${result.stderr}\n${result.stdout}`;
      const shown = `exit ${result.code}\n--- stderr\n${result.stderr}\n--- stdout\n${result.stdout}`;

      expect(result.code, shown).toBe(manifest.exit);
      const files = Array.isArray(manifest.file) ? manifest.file : [manifest.file];
      expect(
        files.some((file) => output.includes(file)),
        `the error names one of ${files.join(", ")}\n${shown}`,
      ).toBe(true);
      expect(output, "the error says how to fix it").toMatch(/fix/i);
      if (manifest.match) expect(output).toMatch(new RegExp(manifest.match));
      expect(output, "no stack trace").not.toMatch(/\n\s+at .+:\d+:\d+/);
      expect(await snapshot(dir), "every file byte-identical").toEqual(before);

      // The same input under --dry-run: the same error, and still nothing written.
      for (const [file, mode] of Object.entries(manifest.chmod ?? {})) await chmod(join(dir, file), mode);
      const dry = await runVersion(dir, [...manifest.args, "--dry-run"]);
      for (const file of Object.keys(manifest.chmod ?? {})) await chmod(join(dir, file), 0o644);
      expect(dry.code, `--dry-run: exit ${dry.code}\n${dry.stderr}\n${dry.stdout}`).toBe(manifest.exit);
      expect(await snapshot(dir), "every file byte-identical after --dry-run").toEqual(before);
    });
  }
});

// polyglot-publish reads the same configuration and manifests: on the same corpus it must stop with a clear error
// too (no stack trace), write nothing, and name the file for the inputs it reads before any lookup.
const PUBLISH_READS =
  /^(config-|toml-|source-|unreadable-(pyproject|config)|pyproject-without-name|cargo-without-name)/;

describe.concurrent("bad input, polyglot-publish --dry-run", () => {
  for (const name of names) {
    test(name, async ({ skip }) => {
      const manifest = JSON.parse(await readFile(join(CORPUS, name, "case.json"), "utf8")) as CaseManifest;
      if (manifest.skipIfRoot && isRoot) skip("running as root, which reads mode-000 files");
      const dir = await prepare(name);
      // A registry nobody listens on: a lookup fails at once instead of reaching the public registry.
      await writeFile(join(dir, ".npmrc"), "registry=http://127.0.0.1:9/\n");
      const before = await snapshot(dir);
      for (const [file, mode] of Object.entries(manifest.chmod ?? {})) await chmod(join(dir, file), mode);
      const result = await runPublish(dir, ["--dry-run", "--oidc", "off"]);
      for (const file of Object.keys(manifest.chmod ?? {})) await chmod(join(dir, file), 0o644);
      const output = `${result.stderr}\n${result.stdout}`;
      const shown = `exit ${result.code}\n--- stderr\n${result.stderr}\n--- stdout\n${result.stdout}`;
      expect([1, 2], shown).toContain(result.code);
      expect(output, `says how to fix it\n${shown}`).toMatch(/fix/i);
      expect(output, "no stack trace").not.toMatch(/\n\s+at .+:\d+:\d+/);
      if (PUBLISH_READS.test(name)) {
        expect(result.code, shown).toBe(2);
        const files = Array.isArray(manifest.file) ? manifest.file : [manifest.file];
        expect(
          files.some((file) => output.includes(file)),
          `the error names one of ${files.join(", ")}\n${shown}`,
        ).toBe(true);
      }
      expect(await snapshot(dir), "every file byte-identical").toEqual(before);
    });
  }
});
