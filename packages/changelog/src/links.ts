/** A GitHub repository and the web server it lives on (github.com or a GitHub Enterprise host). */
export interface RepoLocation {
  /** `owner/name`. */
  slug: string;
  /** e.g. `https://github.com`, no trailing slash. */
  serverUrl: string;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

export function commitLink(sha: string, repo: RepoLocation | undefined): string {
  const code = `\`${shortSha(sha)}\``;
  return repo ? `[${code}](${repo.serverUrl}/${repo.slug}/commit/${sha})` : code;
}

export function pullLink(number: number, repo: RepoLocation): string {
  return `[#${number}](${repo.serverUrl}/${repo.slug}/pull/${number})`;
}

export function userLink(login: string, serverUrl: string): string {
  return `[@${login}](${serverUrl}/${login})`;
}

// Existing Markdown links are matched first so that a `#123` inside one is left alone.
const ISSUE_REFERENCE = /\[.*?\]\(.*?\)|\B#([1-9]\d*)\b/g;

/** Links bare `#123` references to the repository's issues, as @changesets/changelog-github does. */
export function linkIssueReferences(line: string, repo: RepoLocation | undefined): string {
  if (!repo) return line;
  return line.replace(ISSUE_REFERENCE, (match, issue: string | undefined) =>
    issue ? `[#${issue}](${repo.serverUrl}/${repo.slug}/issues/${issue})` : match,
  );
}
