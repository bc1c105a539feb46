import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseEnv } from "node:util";

/** The GitHub settings of the environment, read as @changesets/get-github-info reads them. */
export interface GithubEnv {
  token?: string;
  /** `GITHUB_SERVER_URL` when set, without a trailing slash. */
  serverUrl?: string;
  repository?: string;
}

const VARIABLES = {
  token: "GITHUB_TOKEN",
  serverUrl: "GITHUB_SERVER_URL",
  repository: "GITHUB_REPOSITORY",
} as const;

async function readDotEnv(cwd: string): Promise<NodeJS.Dict<string>> {
  try {
    return parseEnv(await readFile(resolve(cwd, ".env"), "utf8"));
  } catch {
    return {};
  }
}

/** The process environment first, then a `.env` file in `cwd` (get-github-info also reads its token from there). */
export async function readGithubEnv(env: NodeJS.ProcessEnv, cwd: string): Promise<GithubEnv> {
  const dotEnv = await readDotEnv(cwd);
  const read = (name: string) => env[name] || dotEnv[name] || undefined;
  return {
    token: read(VARIABLES.token),
    serverUrl: read(VARIABLES.serverUrl)?.replace(/\/+$/, ""),
    repository: read(VARIABLES.repository),
  };
}
