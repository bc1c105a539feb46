import { ChangelogConfigError } from "./errors.js";
import { validateTemplate } from "./template.js";

/** The second element of `"changelog": ["@polyglot-changesets/changelog", { ... }]`. */
export interface ChangelogOptions {
  /** `owner/name` of the GitHub repository. Default: `GITHUB_REPOSITORY`, else the `origin` remote. */
  repo?: string;
  /** Never call the GitHub API: commit links from the repo URL only. Default `false`. */
  offline?: boolean;
  /** Leave out "Thanks @user!". Default `false`. */
  disableThanks?: boolean;
  /** Format of one release line, with the tokens of `TEMPLATE_TOKENS`. Default: changelog-github's format. */
  template?: string;
  /** Also thank the GitHub users of `Co-authored-by:` trailers of the changeset's commit. Default `false`. */
  thankCoAuthors?: boolean;
}

const REPO_SLUG = /^[\w.-]+\/[\w.-]+$/;

const BOOLEAN_OPTIONS = ["offline", "disableThanks", "thankCoAuthors"] as const;
const KNOWN_OPTIONS = new Set<string>(["repo", "template", ...BOOLEAN_OPTIONS]);

export function isRepoSlug(value: string): boolean {
  return REPO_SLUG.test(value);
}

/** Validates the options object from `.changeset/config.json` (`null` when the module is named as a bare string). */
export function parseOptions(raw: unknown): ChangelogOptions {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new ChangelogConfigError(
      "(options)",
      `expected an object, got ${JSON.stringify(raw)}`,
      'write "changelog": ["@polyglot-changesets/changelog", { "repo": "owner/name" }]',
    );
  }
  const record = raw as Record<string, unknown>;
  rejectUnknownOptions(record);
  for (const name of BOOLEAN_OPTIONS) checkBoolean(record, name);
  return {
    repo: parseRepo(record.repo),
    template: parseTemplate(record.template),
    offline: record.offline === true,
    disableThanks: record.disableThanks === true,
    thankCoAuthors: record.thankCoAuthors === true,
  };
}

function rejectUnknownOptions(record: Record<string, unknown>): void {
  const unknown = Object.keys(record).filter((name) => !KNOWN_OPTIONS.has(name));
  if (unknown.length === 0) return;
  throw new ChangelogConfigError(
    unknown.join(", "),
    `unknown option${unknown.length > 1 ? "s" : ""}`,
    `remove it; the known options are ${[...KNOWN_OPTIONS].join(", ")}`,
  );
}

function checkBoolean(record: Record<string, unknown>, name: string): void {
  const value = record[name];
  if (value === undefined || typeof value === "boolean") return;
  throw new ChangelogConfigError(
    name,
    `expected true or false, got ${JSON.stringify(value)}`,
    `set "${name}": true`,
  );
}

function parseRepo(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string" && isRepoSlug(value)) return value;
  throw new ChangelogConfigError(
    "repo",
    `expected "owner/name", got ${JSON.stringify(value)}`,
    'set "repo": "owner/name" (the GitHub repository, without https://github.com/), or remove it to use GITHUB_REPOSITORY or the origin remote',
  );
}

function parseTemplate(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") {
    throw new ChangelogConfigError(
      "template",
      `expected a string, got ${JSON.stringify(value)}`,
      'set e.g. "template": "\\n\\n- {summary} {ref}"',
    );
  }
  if (value === "") return undefined;
  validateTemplate(value);
  return value;
}
