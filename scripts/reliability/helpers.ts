// Shared helpers of the reliability suite: temp trees, byte-exact snapshots, running the CLIs.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, realpathSync } from "node:fs";
import { cp, lstat, mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const NODE = process.execPath;
export const BIN = {
  version: join(ROOT, "packages/version/bin/polyglot-version.js"),
  publish: join(ROOT, "packages/publish/bin/polyglot-publish.js"),
  changeset: join(realpathSync(join(ROOT, "node_modules/@changesets/cli")), "bin.js"),
};

export const built = (pkg: string): boolean => existsSync(join(ROOT, "packages", pkg, "dist/index.js"));

export async function tempDir(prefix = "pc-rel-"): Promise<string> {
  return realpathSync(await mkdtemp(join(tmpdir(), prefix)));
}

export async function copyInto(src: string, dest: string): Promise<void> {
  await cp(src, dest, { recursive: true, verbatimSymlinks: true });
}

export const remove = (dir: string) => rm(dir, { recursive: true, force: true });

/**
 * A byte-exact snapshot of a tree: every file's sha256 and mode, every folder and symlink (.git's objects are
 * included only when `git` is true; node_modules never).
 */
export async function snapshot(dir: string, { git = false } = {}): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(d: string): Promise<void> {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      if (entry.name === "node_modules" || (!git && entry.name === ".git")) continue;
      const full = join(d, entry.name);
      const rel = relative(dir, full);
      const st = await lstat(full);
      const mode = (st.mode & 0o7777).toString(8);
      if (entry.isSymbolicLink()) out[rel] = `link ${await readlink(full)}`;
      else if (entry.isDirectory()) {
        out[`${rel}/`] = `dir ${mode}`;
        await walk(full);
      } else {
        let hash = "unreadable";
        try {
          hash = createHash("sha256")
            .update(await readFile(full))
            .digest("hex");
        } catch {}
        out[rel] = `${mode} ${hash}`;
      }
    }
  }
  await walk(dir);
  return out;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node <script> ...args` (or any command) and collects its output; never throws. */
export function runCommand(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 90_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 137 : 1), stdout, stderr });
    });
  });
}

export const runVersion = (cwd: string, args: string[], env?: NodeJS.ProcessEnv) =>
  runCommand(NODE, [BIN.version, ...args], { cwd, env });
export const runPublish = (cwd: string, args: string[], env?: NodeJS.ProcessEnv) =>
  runCommand(NODE, [BIN.publish, ...args], { cwd, env });

/**
 * The environment of a child: this Node first on PATH (npm's `#!/usr/bin/env node` runs on it), and nothing of
 * the outer CI or npm configuration (tokens, npm_config_*, GITHUB_*), so tests see only what they set.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      /^(npm_|NPM_|NODE_AUTH_TOKEN|GITHUB_|ACTIONS_|RUNNER_|CI$|CHANGESETS_OUTPUT|VITEST|NODE_OPTIONS)/i.test(
        key,
      )
    )
      continue;
    env[key] = value;
  }
  env.PATH = `${dirname(NODE)}:${join(ROOT, "node_modules/.bin")}:${process.env.PATH ?? ""}`;
  env.NO_COLOR = "1";
  env.FORCE_COLOR = "0";
  // npm must not read the user's ~/.npmrc (tokens of the machine) nor its cache of real packages.
  env.npm_config_userconfig = join(tmpdir(), "pc-rel-empty-npmrc");
  env.npm_config_update_notifier = "false";
  env.npm_config_audit = "false";
  env.npm_config_fund = "false";
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Lines of a `GITHUB_OUTPUT` file as a map (handles the `name<<DELIM` multiline form). */
export function parseGithubOutput(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const multi = /^([^=<]+)<<(.+)$/.exec(line);
    if (multi) {
      const [, name, delim] = multi as unknown as [string, string, string];
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i] ?? "");
      out[name] = value.join("\n");
    } else if (line.includes("=")) {
      const at = line.indexOf("=");
      out[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return out;
}
