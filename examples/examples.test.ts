// The examples are real monorepos: on a temp copy of each (a git repo, with the root's @changesets/cli and the
// workspace's changelog generator linked in, as the demo does), a changeset plus `polyglot-version` moves every
// target; the packages' own code runs; event-forge's Python package builds with Debian's build + hatchling and
// x0x's Cargo workspace stays valid (`cargo metadata --locked`).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const examplesDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(examplesDir);
const versionBin = path.join(root, "packages", "version", "bin", "polyglot-version.js");
const versionBuilt = existsSync(path.join(root, "packages", "version", "dist", "cli.js"));
const changelogBuilt = existsSync(path.join(root, "packages", "changelog", "dist", "index.js"));
const hasCargo = spawnSync("cargo", ["--version"]).status === 0;
const debianPython = "/usr/bin/python3";
const hasPythonBuild =
  existsSync(debianPython) && spawnSync(debianPython, ["-c", "import build, hatchling"]).status === 0;

const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const { GITHUB_TOKEN: _token, GITHUB_ACTIONS: _actions, ...rest } = process.env;
  const result = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    env: { ...rest, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", ...env },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function git(cwd: string, ...args: string[]): void {
  const result = run("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], cwd);
  expect(result.status, result.output).toBe(0);
}

/** A temp git copy of an example, with the tools its .changeset/config.json and scripts need linked in. */
async function copyExample(name: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `example-${name}-`));
  temps.push(dir);
  await cp(path.join(examplesDir, name), dir, {
    recursive: true,
    filter: (src) => !/[/\\](node_modules|target|dist)$/.test(src),
  });
  await mkdir(path.join(dir, "node_modules", "@changesets"), { recursive: true });
  await mkdir(path.join(dir, "node_modules", "@polyglot-changesets"), { recursive: true });
  await symlink(
    path.join(root, "node_modules", "@changesets", "cli"),
    path.join(dir, "node_modules", "@changesets", "cli"),
  );
  await symlink(
    path.join(root, "packages", "changelog"),
    path.join(dir, "node_modules", "@polyglot-changesets", "changelog"),
  );
  await writeFile(path.join(dir, ".gitignore"), "node_modules/\ntarget/\ndist/\n");
  git(dir, "init", "-q", "-b", "main");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "initial");
  return dir;
}

async function addChangeset(dir: string, file: string, text: string): Promise<void> {
  await writeFile(path.join(dir, ".changeset", file), text);
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "add a changeset");
}

function polyglotVersion(dir: string, ...args: string[]) {
  return run(process.execPath, [versionBin, ...args], dir);
}

const read = (dir: string, file: string) => readFile(path.join(dir, file), "utf8");
const versionOf = async (dir: string, file: string) => JSON.parse(await read(dir, file)).version as string;

describe("examples/event-forge", () => {
  it("runs its packages' tests", () => {
    const result = run(
      process.execPath,
      ["--test"],
      path.join(examplesDir, "event-forge", "packages", "core"),
    );
    expect(result.status, result.output).toBe(0);
  });

  it.skipIf(!versionBuilt || !changelogBuilt)(
    "a minor changeset for core moves the Python package with it",
    async () => {
      const dir = await copyExample("event-forge");
      await addChangeset(
        dir,
        "brave-retries.md",
        '---\n"@event-forge/inbox-outbox-core": minor\n---\n\nRetry failed publishes with backoff\n',
      );
      const result = polyglotVersion(dir);
      expect(result.status, result.output).toBe(0);
      expect(await versionOf(dir, "packages/core/package.json")).toBe("1.1.0");
      expect(await read(dir, "packages/python/pyproject.toml")).toMatch(/^version = "1\.1\.0"$/m);
      expect(await read(dir, "packages/python/src/event_forge/__init__.py")).toMatch(
        /^__version__ = "1\.1\.0"$/m,
      );
      expect(await read(dir, "packages/core/CHANGELOG.md")).toMatch(
        /## 1\.1\.0[\s\S]*Retry failed publishes/,
      );
      // "changelog": true mirrors core's new section into the Python package, in its own version spelling
      expect(await read(dir, "packages/python/CHANGELOG.md")).toMatch(
        /## 1\.1\.0[\s\S]*Retry failed publishes/,
      );
      expect(await readdir(path.join(dir, ".changeset"))).not.toContain("brave-retries.md");

      const check = polyglotVersion(dir, "--check");
      expect(check.status, check.output).toBe(0);

      if (hasPythonBuild) {
        const build = run(
          debianPython,
          ["-m", "build", "--no-isolation", "--skip-dependency-check", "--outdir", "dist", "packages/python"],
          dir,
        );
        expect(build.status, build.output).toBe(0);
        expect((await readdir(path.join(dir, "dist"))).sort()).toEqual([
          "event_forge_inbox_outbox-1.1.0-py3-none-any.whl",
          "event_forge_inbox_outbox-1.1.0.tar.gz",
        ]);
      }
    },
  );
});

describe("examples/x0x", () => {
  it("@x0x/core works without its native addon", () => {
    const script =
      'const x = require("./bindings/node"); const f = x.encodeFrame("hi"); f[5] ^= 1;' +
      'console.log(x.checksum("Wikipedia").toString(16), x.decodeFrame(x.encodeFrame("hi")).toString(), x.decodeFrame(f))';
    const result = run(process.execPath, ["-e", script], path.join(examplesDir, "x0x"));
    expect(result.output.trim()).toBe("11e60398 hi null");
  });

  it.skipIf(!hasCargo)("its Cargo workspace and Cargo.lock are valid", () => {
    const result = run(
      "cargo",
      ["metadata", "--offline", "--locked", "--format-version", "1", "--no-deps"],
      path.join(examplesDir, "x0x"),
    );
    expect(result.status, result.output).toBe(0);
    const names = JSON.parse(result.output).packages.map(
      (p: { name: string; version: string }) => `${p.name}@${p.version}`,
    );
    expect(names.sort()).toEqual(["x0x-node@0.4.0", "x0x-python@0.4.0", "x0x-types@0.4.0", "x0x@0.4.0"]);
  });

  it.skipIf(!versionBuilt || !changelogBuilt)(
    "a changeset for the crate moves all four packages, every Cargo.toml, the path dependencies and Cargo.lock",
    async () => {
      const dir = await copyExample("x0x");
      await addChangeset(
        dir,
        "frames.md",
        '---\n"x0x-crate": minor\n---\n\nFrames carry an Adler-32 checksum\n',
      );
      const result = polyglotVersion(dir);
      expect(result.status, result.output).toBe(0);
      for (const manifest of ["crates/x0x-types", "crates/x0x", "bindings/node", "bindings/python"]) {
        expect(await versionOf(dir, `${manifest}/package.json`)).toBe("0.5.0");
        expect(await read(dir, `${manifest}/Cargo.toml`)).toMatch(/^version = "0\.5\.0"$/m);
      }
      expect(await read(dir, "crates/x0x/Cargo.toml")).toContain(
        'x0x-types = { path = "../x0x-types", version = "0.5.0" }',
      );
      expect(await read(dir, "bindings/node/Cargo.toml")).toContain(
        'x0x = { path = "../../crates/x0x", version = "0.5.0" }',
      );
      expect(await read(dir, "bindings/python/Cargo.toml")).toContain(
        'x0x = { path = "../../crates/x0x", version = "0.5.0" }',
      );
      expect(await read(dir, "Cargo.lock")).not.toContain('version = "0.4.0"');
      expect(await read(dir, "bindings/python/pyproject.toml")).toContain('dynamic = ["version"]');

      const check = polyglotVersion(dir, "--check");
      expect(check.status, check.output).toBe(0);
      if (hasCargo) {
        const metadata = run(
          "cargo",
          ["metadata", "--offline", "--locked", "--format-version", "1", "--no-deps"],
          dir,
        );
        expect(metadata.status, metadata.output).toBe(0);
      }
    },
  );
});
