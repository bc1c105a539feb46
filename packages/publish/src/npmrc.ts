import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

export type NpmrcKind = "project" | "user";

/** One `key=value` line of an `.npmrc`, before `${VAR}` expansion. */
export interface NpmrcEntry {
  key: string;
  value: string;
  /** 1-based. */
  line: number;
}

export interface NpmrcFile {
  kind: NpmrcKind;
  /** Absolute path. */
  path: string;
  entries: NpmrcEntry[];
}

export const DEFAULT_REGISTRY = "https://registry.npmjs.org/";

const AUTH_KEY = /(?:^|:)(_authToken|_auth|_password)$/;

/** True for the keys that hold a credential: `_authToken`, `_auth`, `_password` (nerf-darted or bare). */
export function isAuthKey(key: string): boolean {
  return AUTH_KEY.test(key);
}

/** Parses ini-style npmrc text; comments (`;`, `#`) and blank lines are skipped, quotes around values removed. */
export function parseNpmrc(text: string): NpmrcEntry[] {
  const entries: NpmrcEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith(";") || line.startsWith("#")) return;
    const at = line.indexOf("=");
    if (at <= 0) return;
    const key = line.slice(0, at).trim();
    let value = line.slice(at + 1).trim();
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    entries.push({ key, value, line: index + 1 });
  });
  return entries;
}

/** npm's `${VAR}` / `${VAR?}` expansion: an unset variable stays literal, or becomes empty with `?`. */
export function expandEnv(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/(?<!\\)\$\{([^${}?]+)(\?)?\}/g, (whole, name: string, optional?: string) => {
    const found = env[name];
    if (found !== undefined) return found;
    return optional ? "" : whole;
  });
}

/** The variables an npmrc value reads, e.g. `NODE_AUTH_TOKEN` in setup-node's `_authToken=${NODE_AUTH_TOKEN}`. */
export function referencedVariables(value: string): string[] {
  return [...value.matchAll(/(?<!\\)\$\{([^${}?]+)\??\}/g)].map((match) => match[1] ?? "");
}

/** Case-insensitive lookup of an npm config variable (`npm_config_x` / `NPM_CONFIG_X`). */
export function npmEnvKeys(env: NodeJS.ProcessEnv, name: string): string[] {
  const wanted = `npm_config_${name}`.toLowerCase();
  return Object.keys(env).filter((key) => key.toLowerCase() === wanted);
}

function npmEnvValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  for (const key of npmEnvKeys(env, name)) if (env[key]) return env[key];
  return undefined;
}

/** The user npmrc npm reads: `npm_config_userconfig` (setup-node points it at `$RUNNER_TEMP/.npmrc`) or `~/.npmrc`. */
export function userNpmrcPath(env: NodeJS.ProcessEnv): string {
  const configured = npmEnvValue(env, "userconfig");
  if (configured) return path.resolve(configured);
  return path.join(env.HOME || homedir(), ".npmrc");
}

function readNpmrc(kind: NpmrcKind, file: string): NpmrcFile | undefined {
  try {
    return { kind, path: file, entries: parseNpmrc(readFileSync(file, "utf8")) };
  } catch {
    return undefined;
  }
}

/** The project (`<root>/.npmrc`) and user npmrc files that exist, in npm's order of precedence (project first). */
export function readNpmrcFiles(root: string, env: NodeJS.ProcessEnv): NpmrcFile[] {
  const projectPath = path.join(root, ".npmrc");
  const userPath = userNpmrcPath(env);
  const files = [readNpmrc("project", projectPath)];
  if (userPath !== projectPath) files.push(readNpmrc("user", userPath));
  return files.filter((file): file is NpmrcFile => file !== undefined);
}

/** Effective npm config: env `npm_config_*` over the project file over the user file, values expanded. */
export class NpmConfig {
  readonly values = new Map<string, string>();

  constructor(
    readonly files: NpmrcFile[],
    readonly env: NodeJS.ProcessEnv,
  ) {
    for (const file of [...files].reverse()) {
      for (const entry of file.entries) this.values.set(entry.key, expandEnv(entry.value, env));
    }
    for (const [key, value] of Object.entries(env)) {
      if (!/^npm_config_/i.test(key) || !value) continue;
      const name = key.slice("npm_config_".length);
      this.values.set(name.startsWith("//") ? name : name.toLowerCase(), value);
    }
  }

  get(key: string): string | undefined {
    return this.values.get(key);
  }

  /**
   * The registry a package publishes to, as `npm publish` picks it: a scope registry (publishConfig, then config)
   * wins over `publishConfig.registry`, which wins over the configured default.
   */
  registryFor(name: string, publishConfig: Record<string, unknown> = {}): string {
    const scope = name.startsWith("@") ? name.split("/")[0] : undefined;
    const candidates = [
      scope ? publishConfig[`${scope}:registry`] : undefined,
      scope ? this.get(`${scope}:registry`) : undefined,
      publishConfig.registry,
      this.get("registry"),
      DEFAULT_REGISTRY,
    ];
    const found = candidates.find((value): value is string => typeof value === "string" && value !== "");
    return withTrailingSlash(found ?? DEFAULT_REGISTRY);
  }

  /** The `Authorization` header value npm would send to `registry`, if any credential is configured for it. */
  authorizationFor(registry: string): string | undefined {
    for (const prefix of nerfDartPrefixes(registry)) {
      const token = this.get(`${prefix}:_authToken`);
      if (token) return `Bearer ${token}`;
      const auth = this.get(`${prefix}:_auth`);
      if (auth) return `Basic ${auth}`;
      const username = this.get(`${prefix}:username`);
      const password = this.get(`${prefix}:_password`);
      if (username && password) {
        const plain = Buffer.from(password, "base64").toString("utf8");
        return `Basic ${Buffer.from(`${username}:${plain}`).toString("base64")}`;
      }
    }
    return userinfoAuthorization(registry);
  }
}

/** npm sends the `user:pass@` of a registry URL as Basic credentials when no npmrc credential applies. */
function userinfoAuthorization(registry: string): string | undefined {
  let url: URL;
  try {
    url = new URL(registry);
  } catch {
    return undefined;
  }
  if (!url.username && !url.password) return undefined;
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  return `Basic ${Buffer.from(`${decode(url.username)}:${decode(url.password)}`).toString("base64")}`;
}

export function withTrailingSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

/** `//host/a/b/`, `//host/a/`, `//host/`: the keys npm tries, most specific first. */
export function nerfDartPrefixes(registry: string): string[] {
  const url = new URL(withTrailingSlash(registry));
  const segments = url.pathname.split("/").filter(Boolean);
  const prefixes: string[] = [];
  for (let count = segments.length; count >= 0; count--) {
    const tail = segments.slice(0, count).join("/");
    prefixes.push(`//${url.host}/${tail ? `${tail}/` : ""}`);
  }
  return prefixes;
}

/** `//host/path/` of a registry URL: the prefix of its credential keys. */
export function nerfDart(registry: string): string {
  return nerfDartPrefixes(registry)[0] ?? "";
}

/**
 * The project npmrc's registry settings (and, when `withAuth`, its credentials) as `npm_config_*` variables.
 * pnpm hands a tarball publish to npm in the package folder, where npm does not find a pnpm workspace's root
 * `.npmrc`: the variables carry those settings to it. Variables the caller already set win.
 */
export function projectConfigEnv(
  files: readonly NpmrcFile[],
  env: NodeJS.ProcessEnv,
  withAuth: boolean,
): Record<string, string> {
  const project = files.find((file) => file.kind === "project");
  const exported: Record<string, string> = {};
  for (const entry of project?.entries ?? []) {
    const isRegistry = entry.key === "registry" || /^@[^:]+:registry$/.test(entry.key);
    const isCredential = isAuthKey(entry.key) && entry.key.startsWith("//");
    if (!isRegistry && !(withAuth && isCredential)) continue;
    if (npmEnvKeys(env, entry.key).length > 0) continue;
    const value = expandEnv(entry.value, env);
    if (value === "" || /\$\{/.test(value)) continue;
    exported[`npm_config_${entry.key}`] = value;
  }
  return exported;
}
