/** A changeset summary with its `pr:` / `commit:` / `author:` override lines taken out. */
export interface ParsedSummary {
  firstLine: string;
  continuationLines: string[];
  pull?: number;
  commit?: string;
  /** Logins from every `author:` / `user:` line, in order. */
  authors: string[];
}

// The same override syntax as @changesets/changelog-github, so that a summary renders identically with both:
// only the first `pr:` and `commit:` line count, every `author:` line does.
const PULL_OVERRIDE = /^\s*(?:pr|pull|pull\s+request):\s*#?(\d+)/im;
const COMMIT_OVERRIDE = /^\s*commit:\s*([^\s]+)/im;
const AUTHOR_OVERRIDE = /^\s*(?:author|user):\s*@?([^\s]+)/gim;

export function parseSummary(summary: string): ParsedSummary {
  let pull: number | undefined;
  let commit: string | undefined;
  const authors: string[] = [];
  const text = summary
    .replace(PULL_OVERRIDE, (_line, number: string) => {
      pull = Number(number);
      return "";
    })
    .replace(COMMIT_OVERRIDE, (_line, sha: string) => {
      commit = sha;
      return "";
    })
    .replace(AUTHOR_OVERRIDE, (_line, login: string) => {
      authors.push(login);
      return "";
    });
  const [firstLine = "", ...continuationLines] = text
    .trim()
    .split("\n")
    .map((line) => line.trimEnd());
  return { firstLine, continuationLines, pull, commit, authors };
}
