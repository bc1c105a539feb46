import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { redactSecrets } from "../http.js";
import { bundledNpm } from "../npm-cli.js";
import { isIdTokenVariable } from "../tokens.js";

export interface SmokeResult {
  ok: boolean;
  /** Which step failed: the install from the registry or the command. */
  failedAt?: "install" | "command";
  exitCode?: number;
  /** The last lines of the failing step's output. */
  tail: string;
}

const TAIL_LINES = 15;

/** The smoke project installs fresh dependencies (no lockfile) whose install scripts run here: none may publish. */
function smokeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !isIdTokenVariable(name)));
}

/**
 * The downstream-project gate: a temp project installs `packages` (name@version) from the registry, as a user
 * would, then runs `command` in it (a shell command line the workflow author wrote: `--smoke`). The repo's
 * `.npmrc` is copied so scoped registries and read tokens apply; nothing is written to the repo.
 */
export async function runSmoke(options: {
  root: string;
  packages: readonly { name: string; version: string }[];
  command: string;
  env: NodeJS.ProcessEnv;
  /** Extra npm flags (under OIDC: the project's token lines blanked, as for the publish). */
  npmArgs?: readonly string[];
}): Promise<SmokeResult> {
  const dir = mkdtempSync(path.join(tmpdir(), "polyglot-smoke-"));
  const env = smokeEnv(options.env);
  try {
    const dependencies = Object.fromEntries(options.packages.map(({ name, version }) => [name, version]));
    writeFileSync(
      path.join(dir, "package.json"),
      `${JSON.stringify({ name: "polyglot-smoke", version: "0.0.0", private: true, dependencies }, null, 2)}\n`,
    );
    const npmrc = path.join(options.root, ".npmrc");
    if (existsSync(npmrc)) copyFileSync(npmrc, path.join(dir, ".npmrc"));
    const install = await execa(
      process.execPath,
      [
        bundledNpm().cli,
        "install",
        "--no-audit",
        "--no-fund",
        "--no-package-lock",
        "--prefer-online",
        ...(options.npmArgs ?? []),
      ],
      {
        cwd: dir,
        env,
        extendEnv: false,
        reject: false,
        all: true,
        stdin: "ignore",
        timeout: 600_000,
      },
    );
    if (install.exitCode !== 0) {
      return { ok: false, failedAt: "install", exitCode: install.exitCode ?? 1, tail: tail(install.all) };
    }
    const run = await execa(options.command, {
      shell: true,
      cwd: dir,
      env: {
        ...env,
        PATH: [path.join(dir, "node_modules", ".bin"), env.PATH ?? ""].join(path.delimiter),
      },
      extendEnv: false,
      reject: false,
      all: true,
      stdin: "ignore",
      timeout: 600_000,
    });
    if (run.exitCode !== 0)
      return { ok: false, failedAt: "command", exitCode: run.exitCode ?? 1, tail: tail(run.all) };
    return { ok: true, tail: tail(run.all) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The last lines, with every known secret blanked: in token mode the command runs with the job's tokens, and
 * what it prints is shown in the log and the summary.
 */
function tail(text: string | undefined): string {
  return redactSecrets((text ?? "").trimEnd())
    .split("\n")
    .slice(-TAIL_LINES)
    .join("\n");
}
