import { ChangelogConfigError } from "./errors.js";

const TOKEN_PATTERN = /\{(\w+)\}/g;

/** What each `template` token stands for. The first five are `@changesets/changelog-github`'s, with its meaning. */
export const TEMPLATE_TOKENS = {
  summary: "the first line of the changeset summary, with #123 references linked",
  ref: "(PR link) or, when there is no PR, (commit link); empty when neither is known",
  pull: "the PR link, e.g. [#123](url); empty when unknown",
  commit: "the commit link, e.g. [`abc1234`](url); empty when unknown",
  authors: "the thanked users, e.g. [@ghost](url), [@octocat](url); empty when unknown",
  thanks: 'the whole "Thanks [@ghost](url)!" phrase; empty when nobody is to be thanked',
} as const;

export type TemplateToken = keyof typeof TEMPLATE_TOKENS;
export type TemplateValues = Record<TemplateToken, string>;

function isTemplateToken(name: string): name is TemplateToken {
  return Object.hasOwn(TEMPLATE_TOKENS, name);
}

function tokenList(): string {
  return Object.keys(TEMPLATE_TOKENS)
    .map((token) => `{${token}}`)
    .join(", ");
}

/** Throws a config error naming every unknown `{token}` of `template`. */
export function validateTemplate(template: string, setting = "template"): void {
  const unknown = [...template.matchAll(TOKEN_PATTERN)]
    .map((match) => match[1] ?? "")
    .filter((name) => !isTemplateToken(name));
  if (unknown.length === 0) return;
  const names = [...new Set(unknown)].map((name) => `{${name}}`).join(", ");
  throw new ChangelogConfigError(
    setting,
    `unknown template token${unknown.length > 1 ? "s" : ""} ${names}`,
    `use only ${tokenList()}`,
  );
}

/** Replaces each `{token}`; the template must have passed `validateTemplate`. */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(TOKEN_PATTERN, (match, name: string) =>
    isTemplateToken(name) ? values[name] : match,
  );
}
