import { linkIssueReferences, type RepoLocation } from "./links.js";
import type { ParsedSummary } from "./summary.js";
import { renderTemplate } from "./template.js";

/** The Markdown links known for one release line; each is absent when unknown. */
export interface LineLinks {
  pull?: string;
  commit?: string;
  /** Thanked users, e.g. `[@a](url), [@b](url)`; absent for no thanks. */
  users?: string;
}

/**
 * One release line, byte for byte as @changesets/changelog-github renders it:
 * `\n\n- <pr> <commit> Thanks <users>! - <summary>\n<continuation lines indented by two spaces>`.
 */
export function renderReleaseLine(
  summary: ParsedSummary,
  links: LineLinks,
  repo: RepoLocation | undefined,
  template: string | undefined,
): string {
  const firstLine = linkIssueReferences(summary.firstLine, repo);
  const continuation = summary.continuationLines
    .map((line) => `  ${linkIssueReferences(line, repo)}`)
    .join("\n");
  if (template)
    return `${renderTemplate(template, templateValues(firstLine, links)).trimEnd()}\n${continuation}`;
  const prefix = [
    links.pull ? ` ${links.pull}` : "",
    links.commit ? ` ${links.commit}` : "",
    links.users ? ` Thanks ${links.users}!` : "",
  ].join("");
  return `\n\n-${prefix ? `${prefix} -` : ""} ${firstLine}\n${continuation}`;
}

function templateValues(summary: string, links: LineLinks) {
  const ref = links.pull ?? links.commit;
  return {
    summary,
    ref: ref ? `(${ref})` : "",
    pull: links.pull ?? "",
    commit: links.commit ?? "",
    authors: links.users ?? "",
    thanks: links.users ? `Thanks ${links.users}!` : "",
  };
}

/** `- Updated dependencies [links]:` and one `  - <dependency>` line each, as changelog-github renders them. */
export function renderDependencyLines(commitLinks: string[], dependencies: string[]): string {
  return [
    `- Updated dependencies [${commitLinks.join(", ")}]:`,
    ...dependencies.map((line) => `  - ${line}`),
  ].join("\n");
}
