import {
  accessSync,
  chmodSync,
  constants,
  mkdirSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { execa } from "execa";
import semver from "semver";

/** The first npm release with trusted publishing (OIDC). */
export const MIN_OIDC_NPM = "11.5.1";

export interface NpmOnPath {
  /** Version of the `npm` the child would find on PATH; undefined when there is none. */
  version?: string;
}

/** `npm --version` of the npm first on `env.PATH`. */
export async function npmVersionOnPath(env: NodeJS.ProcessEnv): Promise<NpmOnPath> {
  const onPath = findOnPath("npm", env);
  if (!onPath) return {};
  const version = npmCliVersion(onPath) ?? (await askNpmVersion(onPath, env));
  return version ? { version } : {};
}

/**
 * The version of npm when `file` is npm's own `bin/npm-cli.js` (as npm installs itself: a symlink to it), read
 * from its package.json; undefined for anything else (a shell wrapper, corepack's shim), which is asked instead.
 * An `npm --version` costs a Node start-up (~0.3 s of CPU) on every publish.
 */
export function npmCliVersion(file: string): string | undefined {
  try {
    const real = realpathSync(file);
    if (path.basename(real) !== "npm-cli.js" || path.basename(path.dirname(real)) !== "bin") return undefined;
    const manifest = JSON.parse(
      readFileSync(path.join(path.dirname(real), "..", "package.json"), "utf8"),
    ) as {
      name?: unknown;
      version?: unknown;
    };
    if (manifest.name !== "npm" || typeof manifest.version !== "string") return undefined;
    return semver.valid(manifest.version) ?? undefined;
  } catch {
    return undefined;
  }
}

async function askNpmVersion(file: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const result = await execa(file, ["--version"], { env, extendEnv: false, reject: false, timeout: 30_000 });
  return (result.exitCode === 0 ? semver.valid(result.stdout.trim()) : null) ?? undefined;
}

/** The npm this package ships (a dependency), as `node <cli>`. */
export function bundledNpm(): { cli: string; version: string } {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve("npm/package.json");
  const { version } = require(manifest) as { version: string };
  return { cli: path.join(path.dirname(manifest), "bin", "npm-cli.js"), version };
}

export function supportsOidc(version: string | undefined): boolean {
  return version !== undefined && semver.gte(version, MIN_OIDC_NPM);
}

/** The `npm` executable first on `env.PATH`, searched in-process. */
export function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/**
 * A folder (below `workDir`) holding an `npm` shim that runs `command` with `extraArgs` appended, to be put first on the child's
 * PATH. Extra args go on npm's command line, its highest-priority config layer.
 */
export function writeNpmShim(
  workDir: string,
  command: readonly string[],
  extraArgs: readonly string[] = [],
): string {
  const dir = path.join(workDir, "bin");
  mkdirSync(dir, { recursive: true });
  const quoted = command.map(shellQuote).join(" ");
  const extra = extraArgs.map(shellQuote).join(" ");
  const file = path.join(dir, "npm");
  writeFileSync(file, `#!/bin/sh\nexec ${quoted} "$@"${extra ? ` ${extra}` : ""}\n`);
  chmodSync(file, 0o755);
  return dir;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
