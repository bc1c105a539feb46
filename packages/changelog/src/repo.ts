import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { GithubEnv } from "./env.js";
import type { RepoLocation } from "./links.js";
import { isRepoSlug } from "./options.js";

export const DEFAULT_SERVER_URL = "https://github.com";

export type RepoSource = "option" | "GITHUB_REPOSITORY" | "origin remote";

export interface ResolvedRepo extends RepoLocation {
  source: RepoSource;
}

const SCP_LIKE_REMOTE = /^(?:[^@/]+@)?([^:/]+):(?!\/)(.+)$/;

/**
 * Owner/name and web server of a git remote URL: `https://host/o/r(.git)`, `ssh://git@host[:port]/o/r.git`,
 * `git@host:o/r.git`. Credentials in the URL are dropped. Undefined when it is not `owner/name` shaped.
 */
export function parseRemoteUrl(remote: string): RepoLocation | undefined {
  const trimmed = remote.trim();
  const scp = SCP_LIKE_REMOTE.exec(trimmed);
  if (scp && !trimmed.includes("://")) return toLocation(`https://${scp[1]}`, scp[2] ?? "");
  let url: URL;
  try {
    url = new URL(trimmed.replace(/^git\+/, ""));
  } catch {
    return undefined;
  }
  const web =
    url.protocol === "http:" || url.protocol === "https:" ? `${url.protocol}//${url.host}` : undefined;
  return toLocation(web ?? `https://${url.hostname}`, url.pathname);
}

function toLocation(serverUrl: string, path: string): RepoLocation | undefined {
  const slug = path
    .replace(/^\/+/, "")
    .replace(/\/+$/, "")
    .replace(/\.git$/, "");
  return isRepoSlug(slug) ? { slug, serverUrl } : undefined;
}

const execFileAsync = promisify(execFile);

export async function readOriginRemote(cwd: string): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync("git", ["remote", "get-url", "origin"], { cwd });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The repository to link to: the `repo` option, else `GITHUB_REPOSITORY`, else the `origin` remote. The web server
 * is `GITHUB_SERVER_URL` when set, else the remote's host for a remote, else github.com.
 */
export async function resolveRepo(
  repoOption: string | undefined,
  env: GithubEnv,
  originRemote: () => Promise<string | undefined>,
): Promise<ResolvedRepo | undefined> {
  const explicitServer = env.serverUrl;
  if (repoOption)
    return { slug: repoOption, serverUrl: explicitServer ?? DEFAULT_SERVER_URL, source: "option" };
  if (env.repository && isRepoSlug(env.repository)) {
    return {
      slug: env.repository,
      serverUrl: explicitServer ?? DEFAULT_SERVER_URL,
      source: "GITHUB_REPOSITORY",
    };
  }
  const remote = await originRemote();
  const location = remote ? parseRemoteUrl(remote) : undefined;
  if (!location) return undefined;
  return { slug: location.slug, serverUrl: explicitServer ?? location.serverUrl, source: "origin remote" };
}
