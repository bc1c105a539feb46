import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expandEnv, isAuthKey, type NpmrcFile, referencedVariables } from "./npmrc.js";

/** A long-lived credential the publish could pick up. Never holds the value. */
export interface TokenSource {
  kind: "env" | "npmrc";
  /** The variable name, or the npmrc key. */
  name: string;
  file?: string;
  fileKind?: NpmrcFile["kind"];
  line?: number;
  /** npmrc values like setup-node's `${NODE_AUTH_TOKEN}`: the variables they read. */
  placeholderFor?: string[];
  /** The placeholder's variable is unset or empty: npm would send the literal text as a token. */
  unresolved?: boolean;
}

const TOKEN_VARIABLES = ["NODE_AUTH_TOKEN", "NPM_TOKEN"];

/** Env variables that hand npm (or pnpm/yarn) a credential. */
export function isTokenVariable(name: string): boolean {
  if (TOKEN_VARIABLES.includes(name)) return true;
  if (/^npm_config__(auth|authtoken|password)$/i.test(name)) return true;
  if (/^p?npm_config_.*:_(authtoken|auth|password)$/i.test(name)) return true;
  return /^(YARN_NPM_AUTH_TOKEN|YARN_NPM_AUTH_IDENT|PNPM_CONFIG__AUTH\w*)$/i.test(name);
}

/** Every long-lived npm credential in `env` and in the npmrc files. */
export function findTokenSources(env: NodeJS.ProcessEnv, files: readonly NpmrcFile[]): TokenSource[] {
  const found: TokenSource[] = Object.keys(env)
    .filter((name) => env[name] && isTokenVariable(name))
    .sort()
    .map((name) => ({ kind: "env", name }));
  for (const file of files) {
    for (const entry of file.entries) {
      if (!isAuthKey(entry.key)) continue;
      const variables = referencedVariables(entry.value);
      found.push({
        kind: "npmrc",
        name: entry.key,
        file: file.path,
        fileKind: file.kind,
        line: entry.line,
        ...(variables.length > 0
          ? { placeholderFor: variables, unresolved: variables.some((name) => !env[name]) }
          : {}),
      });
    }
  }
  return found;
}

export interface CleanEnv {
  env: Record<string, string | undefined>;
  /** Command-line settings for npm (its highest-priority layer) that blank the project's npmrc credentials. */
  npmArgs: string[];
  /** Names of what was kept out (variables and npmrc keys), for the log. */
  keptOut: string[];
}

/**
 * The child's environment without any long-lived npm credential, and without touching the user's files:
 * token variables are dropped, the user npmrc is replaced by a sanitized temp copy (registries kept, credentials
 * dropped), and the project npmrc's credential keys are blanked on npm's command line. Variables that a project
 * npmrc credential reads (`${NODE_AUTH_TOKEN}`) are set empty, so tools that read the file themselves (pnpm 11+)
 * see an empty token instead of the placeholder text.
 */
export function cleanPublishEnv(
  env: NodeJS.ProcessEnv,
  files: readonly NpmrcFile[],
  workDir: string,
): CleanEnv {
  const child: Record<string, string | undefined> = { ...env };
  const keptOut: string[] = [];
  for (const name of Object.keys(child)) {
    if (isTokenVariable(name)) {
      delete child[name];
      keptOut.push(name);
    }
  }
  const user = files.find((file) => file.kind === "user");
  for (const name of Object.keys(child)) if (/^npm_config_userconfig$/i.test(name)) delete child[name];
  child.npm_config_userconfig = writeSanitizedNpmrc(user, workDir);
  if (user?.entries.some((entry) => isAuthKey(entry.key))) keptOut.push(user.path);

  const npmArgs: string[] = [];
  const project = files.find((file) => file.kind === "project");
  for (const entry of project?.entries ?? []) {
    if (!isAuthKey(entry.key)) continue;
    npmArgs.push(`--${entry.key}=`);
    for (const variable of referencedVariables(entry.value)) child[variable] = "";
    keptOut.push(`${project?.path}:${entry.line}`);
  }
  return { env: child, npmArgs, keptOut };
}

function writeSanitizedNpmrc(user: NpmrcFile | undefined, workDir: string): string {
  const dir = path.join(workDir, "npmrc");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, ".npmrc");
  const lines = (user?.entries ?? [])
    .filter((entry) => !isAuthKey(entry.key))
    .map((entry) => `${entry.key}=${entry.value}`);
  writeFileSync(file, lines.length > 0 ? `${lines.join("\n")}\n` : "", { mode: 0o600 });
  return file;
}

/**
 * The credential values a run can see (token variables, CI tokens, npmrc credentials, expanded), so that a URL
 * that embeds one (a token path segment) is printed redacted.
 */
export function secretValues(env: NodeJS.ProcessEnv, files: readonly NpmrcFile[]): string[] {
  const names = Object.keys(env).filter(
    (name) =>
      isTokenVariable(name) ||
      /^(GITHUB_TOKEN|GH_TOKEN|ACTIONS_ID_TOKEN_REQUEST_TOKEN|NPM_ID_TOKEN)$/.test(name),
  );
  const values = names.map((name) => env[name]);
  for (const file of files) {
    for (const entry of file.entries) if (isAuthKey(entry.key)) values.push(expandEnv(entry.value, env));
  }
  return values.filter((value): value is string => typeof value === "string" && value !== "");
}

/**
 * Variables that mint a publish token: GitHub's ID-token request pair and the ID tokens a CI hands the job
 * (NPM_ID_TOKEN, PYPI_ID_TOKEN...). Children that run third-party code (install and build scripts) never get them.
 */
export function isIdTokenVariable(name: string): boolean {
  return /^(ACTIONS_ID_TOKEN_REQUEST_(URL|TOKEN)|[A-Z0-9_]*_ID_TOKEN)$/i.test(name);
}
