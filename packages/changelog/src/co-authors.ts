import { execFile } from "node:child_process";
import { promisify } from "node:util";

const CO_AUTHOR_TRAILER = /^co-authored-by:\s*.*<([^>]+)>\s*$/gim;
// GitHub's no-reply addresses carry the login: `12345+login@users.noreply.github.com` or `login@users.noreply...`.
const NOREPLY_EMAIL = /^(?:\d+\+)?([a-z\d](?:[a-z\d-]*[a-z\d])?)@users\.noreply\.github\.com$/i;

/**
 * GitHub logins of the `Co-authored-by:` trailers of a commit message. Only no-reply addresses name a login;
 * other addresses would need an API search per person, so they are skipped.
 */
export function coAuthorLogins(message: string): string[] {
  const logins: string[] = [];
  for (const [, email = ""] of message.matchAll(CO_AUTHOR_TRAILER)) {
    const login = NOREPLY_EMAIL.exec(email.trim())?.[1];
    if (login && !logins.some((known) => known.toLowerCase() === login.toLowerCase())) logins.push(login);
  }
  return logins;
}

const execFileAsync = promisify(execFile);

/** The full message of `sha` in the git repository at `cwd`, or "" when git cannot tell. */
export async function readCommitMessage(sha: string, cwd: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync("git", ["show", "-s", "--format=%B", sha, "--"], { cwd });
    return stdout;
  } catch {
    return "";
  }
}
