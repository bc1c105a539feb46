// The repo is untrusted input (issue #10, defects 1, 2, 6, 9, 10): polyglot-version never reads or writes a file
// outside the repo (`..`, absolute paths, symlinks of files and folders, dangling symlinks, dynamic-version
// settings), never echoes what it read where a version belongs, is not hung or flooded by a FIFO or /dev/zero,
// survives SIGKILL mid-sync with every file old or new, and checks writability before `changeset version` runs.
// Each case runs the built CLI in a child with a heap cap and a deadline, with a sibling "outside" folder whose
// bytes must not change and canaries (an env value, a secret in an outside file) that must never be printed.
import { execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, lstat, mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { syncRepo } from "../bench/generate.mjs";
import { writeTree } from "../bench/lib.mjs";
import {
  BIN,
  built,
  cleanEnv,
  copyInto,
  NODE,
  ROOT,
  type RunResult,
  remove,
  runCommand,
  tempDir,
} from "./helpers.js";

const BASE = join(ROOT, "scripts/reliability/__fixtures__/base");
const CANARY_ENV = `CANARY_SECRET_${randomBytes(12).toString("hex")}`;
const OUTSIDE_SECRET = `OUTSIDE_SECRET_${randomBytes(12).toString("hex")}`;
/** Every run gets a heap cap: a read of /dev/zero must not grow memory. */
const HEAP_MB = 192;
const DEADLINE_MS = 30_000;

const work: string[] = [];

/**
 * A byte-exact snapshot like helpers' `snapshot`, that records a FIFO or device as such instead of opening it
 * (reading a FIFO would hang the test).
 */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(folder: string, prefix: string): Promise<void> {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name === ".git") continue;
      const full = join(folder, entry.name);
      const rel = `${prefix}${entry.name}`;
      const stats = await lstat(full);
      const mode = (stats.mode & 0o7777).toString(8);
      if (stats.isSymbolicLink()) out[rel] = `link ${await readlink(full)}`;
      else if (stats.isDirectory()) {
        out[`${rel}/`] = `dir ${mode}`;
        await walk(full, `${rel}/`);
      } else if (!stats.isFile()) out[rel] = `special ${mode}`;
      else
        out[rel] = `${mode} ${createHash("sha256")
          .update(await readFile(full))
          .digest("hex")}`;
    }
  }
  await walk(dir, "");
  return out;
}

beforeAll(() => {
  if (!built("version")) throw new Error("build first: pnpm build (packages/version/dist is missing)");
});
afterAll(async () => {
  for (const dir of work) await remove(dir);
});

interface Layout {
  /** The repo (a copy of the corpus base: @corpus/core, and the bridge python/py with pyproject.toml). */
  repo: string;
  /** A sibling folder outside the repo, with a file holding a secret and a shell script. */
  outside: string;
}

async function layout(): Promise<Layout> {
  const top = await tempDir("pc-rel-secfiles-");
  work.push(top);
  const repo = join(top, "repo");
  const outside = join(top, "outside");
  await copyInto(BASE, repo);
  await mkdir(outside);
  await writeFile(join(outside, "VERSION"), `${OUTSIDE_SECRET}\n`);
  await writeFile(join(outside, "version.py"), `__version__ = "${OUTSIDE_SECRET}"\n`);
  await writeFile(join(outside, "pyproject.toml"), '[project]\nname = "corpus-py"\nversion = "1.0.0"\n');
  await writeFile(join(outside, "deploy.sh"), "#!/bin/sh\necho deploying\n");
  await chmod(join(outside, "deploy.sh"), 0o755);
  await mkdir(join(outside, "pkg"));
  await writeFile(
    join(outside, "pkg/pyproject.toml"),
    '[project]\nname = "outside-pkg"\nversion = "1.0.0"\n',
  );
  return { repo, outside };
}

async function runVersionBounded(cwd: string, args: string[]): Promise<RunResult & { ms: number }> {
  const started = performance.now();
  const result = await runCommand(NODE, [`--max-old-space-size=${HEAP_MB}`, BIN.version, ...args], {
    cwd,
    env: cleanEnv({ [CANARY_ENV]: CANARY_ENV }),
    timeoutMs: DEADLINE_MS,
  });
  return { ...result, ms: performance.now() - started };
}

function expectNoLeak(result: RunResult): void {
  const output = `${result.stdout}\n${result.stderr}`;
  expect(output, "the env canary is never printed").not.toContain(CANARY_ENV);
  expect(output, "a secret of a file outside the repo is never printed").not.toContain(OUTSIDE_SECRET);
  expect(output, "no stack trace").not.toMatch(/\n\s+at .+:\d+:\d+/);
}

/**
 * Runs each mode of polyglot-version on a hostile repo: every one must stop with exit 2 (or `exit` given) and
 * a message matching `message`, print no canary, and leave the repo and the outside folder byte-identical.
 */
async function expectRefused(
  { repo, outside }: Layout,
  message: RegExp,
  modes: string[][] = [["--check"], ["--dry-run"], ["--sync-only"], []],
): Promise<void> {
  const outsideBefore = await snapshot(outside);
  const repoBefore = await snapshot(repo);
  for (const args of modes) {
    const result = await runVersionBounded(repo, args);
    const shown = `polyglot-version ${args.join(" ")}: exit ${result.code}\n${result.stderr}\n${result.stdout}`;
    expect(result.code, shown).toBe(2);
    expect(result.stderr, shown).toMatch(message);
    expect(result.stderr, shown).toMatch(/fix:/);
    expect(result.ms, "bounded time").toBeLessThan(DEADLINE_MS);
    expectNoLeak(result);
    expect(await snapshot(outside), `outside byte-identical after ${args.join(" ")}`).toEqual(outsideBefore);
    expect(await snapshot(repo), `repo byte-identical after ${args.join(" ")}`).toEqual(repoBefore);
  }
}

const BRIDGE = "python/py/pyproject.toml";

function dynamicPyproject(table: string): string {
  return `[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "corpus-py"\ndynamic = ["version"]\n\n${table}\n`;
}

/** A follow target `libs/follow` (following @corpus/core) with the given target settings. */
async function withFollowTarget(repo: string, settings: Record<string, unknown>): Promise<void> {
  await mkdir(join(repo, "libs/follow/src/follow"), { recursive: true });
  await writeFile(
    join(repo, "libs/follow/pyproject.toml"),
    '[project]\nname = "follow"\nversion = "1.0.0"\n',
  );
  await writeFile(join(repo, "libs/follow/src/follow/__init__.py"), '__version__ = "1.0.0"\n');
  const target = { path: "libs/follow", versionFrom: "@corpus/core", ...settings };
  await writeFile(
    join(repo, ".changeset/polyglot.json"),
    `${JSON.stringify({ targets: [target] }, null, 2)}\n`,
  );
}

describe("defect 1: reads outside the repo, and echoing them as a version", () => {
  test("setuptools version.file = /proc/self/environ: refused, the environment is never printed", async () => {
    const l = await layout();
    await writeFile(
      join(l.repo, BRIDGE),
      dynamicPyproject('[tool.setuptools.dynamic]\nversion = { file = "/proc/self/environ" }'),
    );
    await expectRefused(l, /tool\.setuptools\.dynamic\.version\.file points at .*environ.*outside the repo/);
  });

  test("setuptools version.file = ../../outside/VERSION: refused by its setting", async () => {
    const l = await layout();
    await writeFile(
      join(l.repo, BRIDGE),
      dynamicPyproject('[tool.setuptools.dynamic]\nversion = { file = "../../../outside/VERSION" }'),
    );
    await expectRefused(l, /python\/py\/pyproject\.toml: .*version\.file points at .* outside the repo/);
  });

  test("setuptools version.file: a symlink to a file outside: refused", async () => {
    const l = await layout();
    await writeFile(
      join(l.repo, BRIDGE),
      dynamicPyproject('[tool.setuptools.dynamic]\nversion = { file = "VERSION" }'),
    );
    await symlink(join(l.outside, "VERSION"), join(l.repo, "python/py/VERSION"));
    await expectRefused(l, /points at python\/py\/VERSION, which leads outside the repo through a symlink/);
  });

  test("[tool.hatch.version] path = an absolute path outside: refused", async () => {
    const l = await layout();
    const hatch = `[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[project]\nname = "corpus-py"\ndynamic = ["version"]\n\n[tool.hatch.version]\npath = "${join(l.outside, "version.py")}"\n`;
    await writeFile(join(l.repo, BRIDGE), hatch);
    await expectRefused(l, /tool\.hatch\.version\.path points at .* outside the repo/);
  });

  test("a workspace package.json that is a symlink to /proc/self/environ: no part of it is quoted", async () => {
    const l = await layout();
    await remove(join(l.repo, "packages/core/package.json"));
    await symlink("/proc/self/environ", join(l.repo, "packages/core/package.json"));
    await expectRefused(l, /cannot read the workspace around .*: a package\.json is not valid JSON/);
  });

  test("a workspace package.json that is a symlink to a package.json outside: refused", async () => {
    const l = await layout();
    await writeFile(join(l.outside, "package.json"), '{ "name": "@corpus/core", "version": "1.0.0" }\n');
    await remove(join(l.repo, "packages/core/package.json"));
    await symlink(join(l.outside, "package.json"), join(l.repo, "packages/core/package.json"));
    await expectRefused(l, /packages\/core\/package\.json leads outside the repo through a symlink/);
  });

  test("a changeset that is a symlink to /proc/self/environ never reaches a changelog", async () => {
    const l = await layout();
    await symlink("/proc/self/environ", join(l.repo, ".changeset/leak.md"));
    await expectRefused(l, /\.changeset\/leak\.md leads outside the repo through a symlink/, [
      [],
      ["--dry-run"],
    ]);
  });

  test("a version file in the repo holding no version: described, never echoed", async () => {
    const l = await layout();
    const secretish = `${OUTSIDE_SECRET}-and-more`;
    await writeFile(
      join(l.repo, BRIDGE),
      dynamicPyproject('[tool.setuptools.dynamic]\nversion = { file = "VERSION" }'),
    );
    await writeFile(join(l.repo, "python/py/VERSION"), `${secretish}\n`);
    await expectRefused(l, /holds not a version: 1 line, \d+ bytes/);
  });

  test("a __version__ line that is not a version: --check and --json describe it", async () => {
    const l = await layout();
    await withFollowTarget(l.repo, { versionFiles: ["src/follow/__init__.py"] });
    await writeFile(
      join(l.repo, "libs/follow/src/follow/__init__.py"),
      `__version__ = "${OUTSIDE_SECRET}"\n`,
    );
    for (const args of [["--check"], ["--check", "--json"], ["--dry-run", "--json"]]) {
      const result = await runVersionBounded(l.repo, args);
      expect(result.code, result.stderr).toBe(args[0] === "--check" ? 1 : 0);
      expect(`${result.stdout}${result.stderr}`).toMatch(/not a version: 1 line, \d+ bytes/);
      expectNoLeak(result);
    }
  });
});

describe("defect 2: writes outside the repo", () => {
  test("versionFiles with ../ : refused, naming the setting", async () => {
    const l = await layout();
    await withFollowTarget(l.repo, { versionFiles: ["../../../outside/version.py"] });
    await expectRefused(
      l,
      /\.changeset\/polyglot\.json: targets\[0\]\.versionFiles points at .* outside the repo \[targets\[0\]\.versionFiles\]/,
    );
  });

  test("versionFiles with an absolute path: refused", async () => {
    const l = await layout();
    await withFollowTarget(l.repo, { versionFiles: [join(l.outside, "version.py")] });
    await expectRefused(l, /targets\[0\]\.versionFiles points at .* outside the repo/);
  });

  test("a versionFiles entry that is a symlink to a file outside: refused", async () => {
    const l = await layout();
    await withFollowTarget(l.repo, { versionFiles: ["src/follow/v.py"] });
    await symlink(join(l.outside, "version.py"), join(l.repo, "libs/follow/src/follow/v.py"));
    await expectRefused(
      l,
      /targets\[0\]\.versionFiles points at libs\/follow\/src\/follow\/v\.py, which leads outside/,
    );
  });

  test("a dangling versionFiles symlink: refused, nothing created outside", async () => {
    const l = await layout();
    await withFollowTarget(l.repo, { versionFiles: ["src/follow/v.py"] });
    await symlink(join(l.outside, "created-by-sync.py"), join(l.repo, "libs/follow/src/follow/v.py"));
    await expectRefused(l, /is a symlink to a missing file/);
    expect(existsSync(join(l.outside, "created-by-sync.py"))).toBe(false);
  });

  test("a bridge pyproject.toml that is a symlink to a file outside: refused", async () => {
    const l = await layout();
    await remove(join(l.repo, BRIDGE));
    await symlink(join(l.outside, "pyproject.toml"), join(l.repo, BRIDGE));
    await expectRefused(l, /python\/py\/pyproject\.toml leads outside the repo through a symlink/);
  });

  test("a follow target folder that is a symlink to a folder outside: refused", async () => {
    const l = await layout();
    await writeFile(
      join(l.repo, ".changeset/polyglot.json"),
      JSON.stringify({ targets: [{ path: "libs/linked", versionFrom: "@corpus/core" }] }),
    );
    await mkdir(join(l.repo, "libs"));
    await symlink(join(l.outside, "pkg"), join(l.repo, "libs/linked"));
    await expectRefused(l, /targets\[0\]\.path "libs\/linked" is outside the repo/);
  });

  test("changelog: true with CHANGELOG.md a symlink to a shell script outside: stopped before changeset version", async () => {
    const l = await layout();
    await withFollowTarget(l.repo, { changelog: true });
    await symlink(join(l.outside, "deploy.sh"), join(l.repo, "libs/follow/CHANGELOG.md"));
    await expectRefused(l, /libs\/follow\/CHANGELOG\.md leads outside the repo through a symlink/, [[]]);
    expect(await readFile(join(l.outside, "deploy.sh"), "utf8")).toBe("#!/bin/sh\necho deploying\n");
  });

  test("changelog: true with CHANGELOG.md a dangling symlink to outside: nothing is created there", async () => {
    const l = await layout();
    await withFollowTarget(l.repo, { changelog: true });
    await writeFile(join(l.repo, "packages/core/CHANGELOG.md"), "# @corpus/core\n\n## 1.0.0\n\nFirst.\n");
    await symlink(join(l.outside, "created-by-sync.md"), join(l.repo, "libs/follow/CHANGELOG.md"));
    await expectRefused(l, /libs\/follow\/CHANGELOG\.md is a symlink to a missing file/, [
      [],
      ["--sync-only"],
    ]);
    expect(existsSync(join(l.outside, "created-by-sync.md"))).toBe(false);
  });
});

describe("defect 6: an empty manifest in a bridge folder is an error, not a dropped target", () => {
  test("an empty pyproject.toml (what a killed write leaves) is named in every mode", async () => {
    const l = await layout();
    await writeFile(join(l.repo, BRIDGE), "");
    await expectRefused(l, /python\/py\/pyproject\.toml: pyproject\.toml is empty/);
  });
});

describe("defect 9: committed files as a denial of service", () => {
  test("uv.lock -> /dev/zero: refused at once, with bounded memory", async () => {
    const l = await layout();
    await symlink("/dev/zero", join(l.repo, "python/py/uv.lock"));
    await expectRefused(l, /python\/py\/uv\.lock leads outside the repo through a symlink/);
  });

  test("a FIFO named uv.lock: refused without hanging", async () => {
    const l = await layout();
    execFileSync("mkfifo", [join(l.repo, "uv.lock")]);
    await expectRefused(l, /uv\.lock is a FIFO, not a regular file/);
  });

  test("a pyproject.toml that is not UTF-8: refused and left byte-identical", async () => {
    const l = await layout();
    await writeFile(
      join(l.repo, BRIDGE),
      Buffer.concat([
        Buffer.from('[project]\nname = "corpus-py"\nversion = "1.0.0"\n# caf'),
        Buffer.from([0xe9, 0x0a]),
      ]),
    );
    await expectRefused(l, /python\/py\/pyproject\.toml is not valid UTF-8/);
  });
});

describe("defect 10: preconditions checked before changeset version", () => {
  test("a read-only pyproject.toml stops the run before changeset version: package.json and changesets untouched", async () => {
    const l = await layout();
    await chmod(join(l.repo, BRIDGE), 0o444);
    const before = await snapshot(l.repo);
    const result = await runVersionBounded(l.repo, []);
    const shown = `exit ${result.code}\n${result.stderr}\n${result.stdout}`;
    expect(result.code, shown).toBe(1);
    expect(result.stderr, shown).toMatch(
      /cannot write python\/py\/pyproject\.toml \(EACCES\); nothing was written/,
    );
    expectNoLeak(result);
    expect(await snapshot(l.repo), "package.json files, changesets and pyproject untouched").toEqual(before);
    expect(existsSync(join(l.repo, ".changeset/corpus-change.md"))).toBe(true);
  });
});

describe("defect 6: SIGKILL mid-sync leaves every file old or new, and the next run recovers", () => {
  const TARGETS = 2000;
  const KILLS = 3;

  /**
   * Starts --sync-only and SIGKILLs it a random 0-40 ms after the first planned file (python/py-0000's
   * pyproject.toml, first in path order) changed on disk: the writes have begun.
   */
  async function killMidWrite(repo: string): Promise<void> {
    const first = join(repo, "python/py-0000/pyproject.toml");
    const startedAt = (await stat(first)).mtimeMs;
    const child = spawn(NODE, [`--max-old-space-size=${HEAP_MB}`, BIN.version, "--sync-only"], {
      cwd: repo,
      env: cleanEnv({ [CANARY_ENV]: CANARY_ENV }),
      stdio: "ignore",
    });
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    const deadline = Date.now() + DEADLINE_MS;
    while (child.exitCode === null && Date.now() < deadline) {
      if ((await stat(first)).mtimeMs !== startedAt) {
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 40)));
        break;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    child.kill("SIGKILL");
    await exited;
  }

  test(`${KILLS} kills at random moments of the writes of ${TARGETS} targets`, {
    timeout: 240_000,
  }, async () => {
    const { files } = syncRepo({ targets: TARGETS });
    // A .git folder (where the sync keeps its journal) is all the repo needs of git here.
    const template = await tempDir("pc-rel-secfiles-kill-");
    work.push(template);
    await writeTree(template, files);
    await mkdir(join(template, ".git"));
    const synced = await tempDir("pc-rel-secfiles-synced-");
    work.push(synced);
    await copyInto(template, synced);
    const full = await runVersionBounded(synced, ["--sync-only"]);
    expect(full.code, full.stderr).toBe(0);
    const oldTree = await snapshot(template);
    const newTree = await snapshot(synced);
    let midWrite = 0;
    for (let kill = 1; kill <= KILLS; kill++) {
      const repo = await tempDir("pc-rel-secfiles-killed-");
      work.push(repo);
      await copyInto(template, repo);
      await killMidWrite(repo);
      const killed = await snapshot(repo);
      if (Object.keys(oldTree).some((file) => killed[file] !== oldTree[file])) midWrite++;

      const check = await runVersionBounded(repo, ["--check"]);
      expectNoLeak(check);
      // Never "in step" on a half-written tree: --check rolls the files back first and says so.
      if (/interrupted mid-write: restored/.test(check.stderr))
        expect(check.stdout, check.stderr).not.toMatch(/targets are in step/);
      const after = await snapshot(repo);
      const torn = Object.keys(oldTree).filter(
        (file) => after[file] !== oldTree[file] && after[file] !== newTree[file],
      );
      expect(torn, "every file is either old or new").toEqual([]);
      expect(Object.keys(after).sort()).toEqual(Object.keys(oldTree).sort());

      const again = await runVersionBounded(repo, ["--sync-only"]);
      expect(again.code, again.stderr).toBe(0);
      expect(await snapshot(repo)).toEqual(newTree);
      if (kill === KILLS) {
        const inStep = await runVersionBounded(repo, ["--check"]);
        expect(inStep.stdout, inStep.stderr).toContain(`all ${TARGETS} targets are in step`);
      }
      await remove(repo);
    }
    expect(midWrite, "at least one kill landed after the writes had begun").toBeGreaterThan(0);
  });
});
