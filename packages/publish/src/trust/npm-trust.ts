// The real `npm trust` (npm >= 11.10): `list` to read what the registry has, `github` / `gitlab` to create a
// publisher. npm needs the user's login and 2FA; polyglot-publish never stores or prints either.
import { execa } from "execa";
import semver from "semver";
import { bundledNpm, npmVersionOnPath } from "../npm-cli.js";
import type { NpmNeed, Publisher } from "./needs.js";

/** The first npm with `npm trust`. */
export const MIN_TRUST_NPM = "11.10.0";

export interface NpmRunner {
  command: string;
  prefix: string[];
  version: string;
}

/** The npm on PATH when it has `npm trust`, else the npm this package ships. */
export async function trustNpm(env: NodeJS.ProcessEnv): Promise<NpmRunner> {
  const onPath = await npmVersionOnPath(env);
  if (onPath.version && semver.gte(onPath.version, MIN_TRUST_NPM))
    return { command: "npm", prefix: [], version: onPath.version };
  const bundled = bundledNpm();
  return { command: process.execPath, prefix: [bundled.cli], version: bundled.version };
}

/** One publisher as `npm trust list --json` prints it. */
export interface RegisteredPublisher {
  id?: string;
  type?: string;
  file?: string;
  repository?: string;
  project?: string;
  environment?: string;
  permissions?: string[];
}

export type ListResult =
  | { ok: true; publishers: RegisteredPublisher[] }
  | { ok: false; code: string; message: string };

export interface TrustCallOptions {
  env: NodeJS.ProcessEnv;
  otp?: string;
  /** Let npm prompt on the terminal (OTP, web login); output then goes straight to it. */
  interactive?: boolean;
}

/**
 * The environment of an `npm trust` call. The registry goes as `npm_config_registry`, never `--registry`: its URL
 * comes from the repo and may carry credentials, which `ps` and /proc show for any argument. The one-time password
 * goes as `npm_config_otp` (`npm trust` subcommands do not declare `--otp`; npm sends it as the `npm-otp` header),
 * and only with the calls that write, so a `list` never hands it to the registry.
 */
export function trustEnv(need: NpmNeed, env: NodeJS.ProcessEnv, otp?: string): NodeJS.ProcessEnv {
  return {
    ...env,
    ...(need.registry ? { npm_config_registry: need.registry } : {}),
    ...(otp ? { npm_config_otp: otp } : {}),
  };
}

export async function listPublishers(
  npm: NpmRunner,
  need: NpmNeed,
  options: TrustCallOptions,
): Promise<ListResult> {
  const result = await execa(npm.command, [...npm.prefix, "trust", "list", need.package, "--json"], {
    cwd: need.dir,
    env: trustEnv(need, options.env),
    extendEnv: false,
    reject: false,
    timeout: 120_000,
  });
  if (result.exitCode !== 0) return { ok: false, ...npmError(result.stderr) };
  return { ok: true, publishers: parseJsonStream(result.stdout) as RegisteredPublisher[] };
}

/** The `npm trust github|gitlab` arguments that create `publisher` for `need.package`. */
export function createArgs(need: NpmNeed, publisher: Publisher): string[] {
  const entity = publisher.provider === "github" ? "--repository" : "--project";
  return [
    "trust",
    publisher.provider,
    need.package,
    "--file",
    publisher.workflow,
    entity,
    publisher.repository,
    ...(publisher.environment ? ["--environment", publisher.environment] : []),
    "--allow-publish",
    "--yes",
  ];
}

export async function createPublisher(
  npm: NpmRunner,
  need: NpmNeed,
  options: TrustCallOptions,
): Promise<{ ok: true; output: string } | { ok: false; code: string; message: string }> {
  const result = await execa(npm.command, [...npm.prefix, ...createArgs(need, need.publisher)], {
    cwd: need.dir,
    env: trustEnv(need, options.env, options.otp),
    extendEnv: false,
    reject: false,
    timeout: 300_000,
    ...(options.interactive ? { stdio: "inherit" as const } : {}),
  });
  if (result.exitCode === 0) return { ok: true, output: String(result.stdout ?? "") };
  return { ok: false, ...npmError(String(result.stderr ?? "")) };
}

/** `npm error code E404` and the first message line of npm's stderr (npm redacts secrets itself). */
function npmError(stderr: string): { code: string; message: string } {
  const code = /npm error code (\w+)/.exec(stderr)?.[1] ?? "EUNKNOWN";
  const message =
    stderr
      .split("\n")
      .filter((line) => /^npm error /.test(line) && !/npm error (code|A complete log|\s*$)/.test(line))
      .map((line) => line.replace(/^npm error\s*/, ""))[0] ?? "npm trust failed";
  return { code, message: message.slice(0, 300) };
}

/** `npm trust list --json` prints one JSON object per publisher, one after the other. */
export function parseJsonStream(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === "\\") index++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === "{" || char === "[") {
      if (depth === 0) start = index;
      depth++;
    } else if ((char === "}" || char === "]") && depth > 0) {
      depth--;
      if (depth === 0) values.push(JSON.parse(text.slice(start, index + 1)));
    }
  }
  return values.flatMap((value) => (Array.isArray(value) ? value : [value]));
}

/** Whether a registered publisher is the one needed (and may publish). */
export function matches(registered: RegisteredPublisher, publisher: Publisher): boolean {
  const repository = publisher.provider === "github" ? registered.repository : registered.project;
  return (
    registered.type === publisher.provider &&
    repository === publisher.repository &&
    registered.file === publisher.workflow &&
    (registered.environment ?? undefined) === publisher.environment &&
    (registered.permissions === undefined || registered.permissions.includes("createPackage"))
  );
}
