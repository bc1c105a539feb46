// Shared helpers of the benchmarks: seeded PRNG, file trees, temp git repos, timing, child processes.
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, realpathSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (scripts/bench/ is two levels down). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const NODE = process.execPath;

/** mulberry32: a small seeded PRNG, so every generated repo is the same from run to run. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (items) => items[Math.floor(next() * items.length)],
    hex: (len) => {
      let s = "";
      while (s.length < len)
        s += Math.floor(next() * 0x100000000)
          .toString(16)
          .padStart(8, "0");
      return s.slice(0, len);
    },
  };
}

export const pad = (i, n = 4) => String(i).padStart(n, "0");

/** Writes a `{ relativePath: contents }` tree under `dir` (contents: string, Buffer, or an object -> JSON). */
export async function writeTree(dir, files) {
  const dirs = new Set();
  for (const rel of Object.keys(files)) dirs.add(dirname(join(dir, rel)));
  for (const d of [...dirs].sort()) await mkdir(d, { recursive: true });
  await Promise.all(
    Object.entries(files).map(([rel, contents]) =>
      writeFile(
        join(dir, rel),
        typeof contents === "string" || Buffer.isBuffer(contents)
          ? contents
          : `${JSON.stringify(contents, null, 2)}\n`,
      ),
    ),
  );
}

export function run(cmd, args, opts = {}) {
  return new Promise((resolvePromise, reject) => {
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, ...opts }, (error, stdout, stderr) => {
      const result = { code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr };
      if (error && !opts.allowFail) {
        const e = new Error(
          `${cmd} ${args.join(" ")} failed (${result.code}) in ${opts.cwd ?? "."}\n${stdout}\n${stderr}`,
        );
        e.result = result;
        reject(e);
      } else resolvePromise(result);
    });
  });
}

export const git = (cwd, ...args) => run("git", args, { cwd });

/**
 * Makes a temp dir, writes the tree, links the tools a release needs into node_modules, git init + one commit;
 * `later` files (the changesets, as PRs add them) come in a second commit.
 */
export async function createRepo(files, { prefix = "pc-bench-", link = true, later } = {}) {
  const dir = realpathSync(await mkdtemp(join(tmpdir(), prefix)));
  await writeTree(dir, { ".gitignore": "node_modules\n", ...files });
  if (link) await linkTools(dir);
  await git(dir, "init", "-q", "-b", "main");
  // No automatic gc: after the commit of a large tree, git starts `gc --auto` in the background, which packs and
  // deletes loose objects while copyRepo copies the template (ENOENT mid-copy lost the scale rows twice).
  await git(dir, "config", "gc.auto", "0");
  await git(dir, "config", "maintenance.auto", "false");
  await git(dir, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "add", "-A");
  await git(
    dir,
    "-c",
    "user.name=bench",
    "-c",
    "user.email=bench@example.com",
    "commit",
    "-qm",
    "initial",
    "--no-verify",
  );
  await git(dir, "config", "user.name", "bench");
  await git(dir, "config", "user.email", "bench@example.com");
  if (later) {
    await writeTree(dir, later);
    await git(dir, "add", "-A");
    await git(dir, "commit", "-qm", "changesets", "--no-verify");
  }
  return dir;
}

/** Copies a generated repo (with .git) to a fresh temp dir, so each timed run starts from the same bytes. */
export async function copyRepo(src, prefix = "pc-bench-copy-") {
  const dir = realpathSync(await mkdtemp(join(tmpdir(), prefix)));
  await cp(src, dir, { recursive: true, verbatimSymlinks: true });
  // The copy's dirty pages are written out now, not by the kernel during the timed run that follows.
  await run("sync", []);
  return dir;
}

/**
 * Removes a run's copy. Retried, then given up silently: on a loaded machine a git process a timed run started may
 * still be writing in .git (ENOTEMPTY) or another cleanup races this one (ENOENT); a leftover temp folder must not
 * fail the benchmark.
 */
export const removeDir = (dir) =>
  rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }).catch((error) => {
    console.error(`bench: could not remove ${dir}: ${error.code ?? error.message}`);
  });

/** Where a package of this workspace (or a dependency of the root) lives, resolved through pnpm's symlinks. */
export function modulePath(name) {
  const candidates = [
    join(ROOT, "node_modules", name),
    join(ROOT, "packages", name.replace(/^@polyglot-changesets\//, "")),
  ];
  for (const c of candidates) if (existsSync(c)) return realpathSync(c);
  throw new Error(`cannot find ${name} from ${ROOT}`);
}

/** The tools a generated repo uses, as installed in it: changesets CLI, changelog generators, our CLIs. */
const LINKED = [
  "@changesets/cli",
  "@changesets/changelog-github",
  "@polyglot-changesets/changelog",
  "@polyglot-changesets/version",
  "@polyglot-changesets/publish",
];

export async function linkTools(dir) {
  const nm = join(dir, "node_modules");
  await mkdir(join(nm, ".bin"), { recursive: true });
  for (const name of LINKED) {
    let target;
    try {
      target = modulePath(name);
    } catch {
      continue;
    }
    await mkdir(dirname(join(nm, name)), { recursive: true });
    await symlink(target, join(nm, name), "dir");
  }
  const bins = {
    changeset: join(modulePath("@changesets/cli"), "bin.js"),
    "polyglot-version": join(ROOT, "packages/version/bin/polyglot-version.js"),
    "polyglot-publish": join(ROOT, "packages/publish/bin/polyglot-publish.js"),
  };
  for (const [bin, script] of Object.entries(bins)) {
    await writeFile(join(nm, ".bin", bin), `#!/bin/sh\nexec "${NODE}" "${script}" "$@"\n`, { mode: 0o755 });
  }
}

/** The CLIs, as `[command, args]` pairs run with this Node. */
export const CLI = {
  changeset: () => [NODE, [join(modulePath("@changesets/cli"), "bin.js")]],
  polyglotVersion: () => [NODE, [join(ROOT, "packages/version/bin/polyglot-version.js")]],
  polyglotPublish: () => [NODE, [join(ROOT, "packages/publish/bin/polyglot-publish.js")]],
};

/** A PATH with this Node first (npm's `#!/usr/bin/env node` then runs on it). */
export function benchEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(npm_|NPM_CONFIG_|NODE_AUTH_TOKEN|NPM_TOKEN|GITHUB_|ACTIONS_|CI$|CHANGESETS_OUTPUT)/i.test(k))
      delete env[k];
  }
  env.PATH = `${dirname(NODE)}:${join(ROOT, "node_modules/.bin")}:${env.PATH ?? ""}`;
  env.NO_COLOR = "1";
  env.FORCE_COLOR = "0";
  env.NODE_OPTIONS = "";
  return { ...env, ...extra };
}

/** GNU time, when present: it reports the peak RSS (`%M`, KiB) of a command and of the children it waited for. */
const GNU_TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

/**
 * Runs a command and measures its wall time (ms) and, with GNU time, its peak RSS (`rssKb`, the largest of the
 * process and its children). Never throws: check `code`.
 */
export async function timed(cmd, args, opts = {}) {
  const { cpu: _cpu, ...spawnOpts } = opts;
  // GNU time reports the peak RSS (`%M`) and the CPU seconds of the whole process tree (`%U %S`: user + system of
  // every waited-for child), which a loaded machine distorts far less than the wall clock.
  const statsFile = GNU_TIME
    ? join(tmpdir(), `pc-bench-stats-${process.pid}-${Math.random().toString(36).slice(2)}`)
    : undefined;
  const [file, argv] = statsFile
    ? [GNU_TIME, ["-f", "%M %U %S", "-o", statsFile, cmd, ...args]]
    : [cmd, args];
  const start = performance.now();
  const result = await new Promise((resolvePromise) => {
    const child = spawn(file, argv, { ...spawnOpts, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
  });
  const ms = performance.now() - start;
  if (!statsFile) return { ...result, ms };
  // The last line: GNU time writes "Command exited with non-zero status N" before it when the command failed.
  const stats = (await readFile(statsFile, "utf8").catch(() => "")).trim().split("\n").at(-1) ?? "";
  await rm(statsFile, { force: true });
  const [rss, user, system] = stats.split(/\s+/).map(Number);
  return {
    ...result,
    ms,
    rssKb: Number.isFinite(rss) ? rss : undefined,
    cpuMs: Number.isFinite(user) && Number.isFinite(system) ? (user + system) * 1000 : undefined,
  };
}

export const fmtRss = (kb) => (kb === undefined ? "?" : `${Math.round(kb / 1024)} MB`);

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
export const ratio = (a, b) => Number((a / b).toFixed(3));

/** sha256 of every file under dir (relative path -> hash), skipping .git and node_modules unless asked. */
export async function hashTree(dir, { skip = [".git", "node_modules"] } = {}) {
  const out = {};
  async function walk(d) {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      if (skip.includes(entry.name)) continue;
      const full = join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile())
        out[relative(dir, full)] = createHash("sha256")
          .update(await readFile(full))
          .digest("hex");
    }
  }
  await walk(dir);
  return out;
}

/** Imports a built workspace package (packages/<name>/dist/index.js); null when it is not built. */
export async function importBuilt(name) {
  const file = join(ROOT, "packages", name, "dist/index.js");
  if (!existsSync(file)) return null;
  return import(file);
}

export function log(...args) {
  console.log(...args);
}
