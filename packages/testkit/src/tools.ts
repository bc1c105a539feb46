import { existsSync } from "node:fs";
import { mkdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

/** `npm-cli.js` of the npm that ships with testkit (11.21.2, >= 11.5.1: it does trusted publishing). */
export function bundledNpmCli(): string {
  return join(dirname(createRequire(import.meta.url).resolve("npm/package.json")), "bin", "npm-cli.js");
}

const LOCK_STALE_MS = 5 * 60_000;
const LOCK_POLL_MS = 200;
const COMPLETE_MARKER = ".polyglot-tool-complete";

/** The workspace root (the folder of `pnpm-workspace.yaml`) above this file, if any. */
export function repoRoot(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** `<repo>/node_modules/.cache/polyglot-testkit/tools`, or a folder in the OS temp dir outside a checkout. */
export function toolsCacheDir(): string {
  const root = repoRoot();
  return root
    ? join(root, "node_modules", ".cache", "polyglot-testkit", "tools")
    : join(tmpdir(), "polyglot-testkit-tools");
}

/**
 * Installs a registry package (`pnpm@12.21.0`, `npm@11.21.2`) once into the shared cache, with its install
 * scripts, and returns its bin folder. Concurrent callers (other test files) wait for the first install.
 */
export async function ensureTool(spec: string, cacheDir = toolsCacheDir()): Promise<string> {
  if (!/^(@[\w.-]+\/)?[\w.-]+@\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) {
    throw new Error(`ensureTool needs name@exact-version, got '${spec}'`);
  }
  const prefix = join(cacheDir, spec.replace("/", "+"));
  const bin = join(prefix, "bin");
  if (existsSync(join(prefix, COMPLETE_MARKER))) return bin;
  await mkdir(cacheDir, { recursive: true });
  const release = await acquireLock(`${prefix}.lock`);
  try {
    if (existsSync(join(prefix, COMPLETE_MARKER))) return bin;
    await rm(prefix, { recursive: true, force: true });
    await execa(
      process.execPath,
      [bundledNpmCli(), "install", "--global", "--prefix", prefix, "--no-audit", "--no-fund", spec],
      { env: withoutNpmConfig(process.env), extendEnv: false, stdin: "ignore" },
    );
    await writeFile(join(prefix, COMPLETE_MARKER), `${spec}\n`);
    return bin;
  } finally {
    await release();
  }
}

/** A `mkdir` lock: atomic on every file system; a lock older than LOCK_STALE_MS is taken over. */
async function acquireLock(lockDir: string): Promise<() => Promise<void>> {
  for (;;) {
    try {
      await mkdir(lockDir);
      return () => rm(lockDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const age = Date.now() - (await stat(lockDir).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > LOCK_STALE_MS) await rm(lockDir, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }
}

export interface ChildEnvOptions {
  /** HOME of the child (keeps the developer's ~/.npmrc, caches and git config out). */
  home: string;
  /** Folders put first on PATH, before the one of the running Node. */
  path?: string[];
  /** More variables; `undefined` leaves one out. */
  extra?: Record<string, string | undefined>;
}

/**
 * A minimal env for a child process: PATH (given folders, then the running Node's folder, then the system's),
 * HOME, an empty user npmrc, a cache below HOME, and no `npm_config_*` / CI variables of the parent.
 */
export function childEnv(options: ChildEnvOptions): Record<string, string> {
  const systemPath = (process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin")
    .split(delimiter)
    .filter((dir) => !dir.includes("node_modules"));
  const env: Record<string, string | undefined> = {
    PATH: [...(options.path ?? []), dirname(process.execPath), ...systemPath].join(delimiter),
    HOME: options.home,
    LANG: "C.UTF-8",
    TMPDIR: process.env.TMPDIR,
    npm_config_userconfig: join(options.home, ".npmrc"),
    npm_config_cache: join(options.home, ".npm"),
    npm_config_update_notifier: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
    ...options.extra,
  };
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

function withoutNpmConfig(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !/^npm_(config|package|lifecycle)_/i.test(entry[0]),
    ),
  );
}

/** Makes `dir` a bin folder whose `npm` and `npx` are testkit's own npm; returns `dir`. */
export async function linkBundledNpm(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const npmBin = dirname(bundledNpmCli());
  for (const name of ["npm", "npx"]) {
    await rm(join(dir, name), { force: true });
    await symlink(join(npmBin, `${name}-cli.js`), join(dir, name));
  }
  return dir;
}
