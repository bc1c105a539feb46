import { PolyglotError } from "../errors.js";

/**
 * Copies the `## <sourceVersion>` section that Changesets wrote into the source's CHANGELOG.md to the top of
 * the target's CHANGELOG.md, headed `## <targetVersion>` (e.g. the PEP 440 spelling), and returns the new
 * target text. A missing or empty target becomes `# <targetName>` plus the section; a target without a
 * `# ` title gets one. The section goes above the newest `## ` section, below the title and any intro.
 * Idempotent: when the target already has a `## <targetVersion>` section it is returned unchanged.
 * The target's line endings (else the source's) and its BOM are kept. A source without the section is a
 * PolyglotError.
 */
export function mirrorChangelogSection(
  sourceChangelog: string,
  sourceVersion: string,
  targetChangelog: string | undefined,
  targetVersion: string,
  targetName: string,
): string {
  const body = findChangelogSection(sourceChangelog, sourceVersion);
  if (body === undefined) {
    throw new PolyglotError(`CHANGELOG.md of the source has no "## ${sourceVersion}" section to mirror`, {
      code: "changelog-section-missing",
      fix: 'run changeset version first (it writes the section), or set "changelog": false for this target',
    });
  }
  const eol = (targetChangelog ?? sourceChangelog).includes("\r\n") ? "\r\n" : "\n";
  const section = [`## ${targetVersion}`, "", ...(body ? [body, ""] : [])];
  const bom = targetChangelog?.startsWith("\uFEFF") ? "\uFEFF" : "";
  const target = toLf((targetChangelog ?? "").replace(/^\uFEFF/, ""));
  if (target.trim() === "") return bom + withEol([`# ${targetName}`, "", ...section].join("\n"), eol);
  if (findChangelogSection(target, targetVersion) !== undefined) return targetChangelog!;
  const lines = target.split("\n");
  const title = lines.findIndex((line) => line.trim() !== "");
  const hasTitle = /^# /.test(lines[title] ?? "");
  const insertAt = firstSectionLine(lines) ?? contentEnd(lines);
  const head = hasTitle ? lines.slice(0, insertAt) : [`# ${targetName}`, ""];
  const rest = hasTitle ? lines.slice(insertAt) : lines;
  const before = trimTrailingBlank(head);
  const merged = [...before, ...(before.length > 0 ? [""] : []), ...section, ...trimLeadingBlank(rest)];
  return bom + withEol(ensureFinalNewline(merged.join("\n")), eol);
}

/**
 * The body of the `## <version>` section (without its heading, blank lines at either end trimmed; "" when
 * empty), or undefined when there is none. Headings inside fenced code blocks do not count.
 */
export function findChangelogSection(changelog: string, version: string): string | undefined {
  const lines = toLf(changelog).split("\n");
  const heading = new RegExp(`^##\\s+\\[?v?${escapeRegExp(version)}\\]?(?:\\s.*)?$`);
  const start = headingLines(lines).find((index) => heading.test(lines[index]!.trimEnd()));
  if (start === undefined) return undefined;
  const next = headingLines(lines).find((index) => index > start && /^#{1,2} /.test(lines[index]!));
  const body = lines.slice(start + 1, next ?? lines.length);
  return trimTrailingBlank(trimLeadingBlank(body)).join("\n");
}

/** Indexes of lines starting with `#` outside fenced code blocks. */
function headingLines(lines: string[]): number[] {
  const headings: number[] = [];
  let fence: string | null = null;
  lines.forEach((line, index) => {
    const marker = /^(```|~~~)/.exec(line)?.[1];
    if (marker) fence = fence === null ? marker : fence === marker ? null : fence;
    else if (fence === null && line.startsWith("#")) headings.push(index);
  });
  return headings;
}

function firstSectionLine(lines: string[]): number | undefined {
  return headingLines(lines).find((index) => /^## /.test(lines[index]!));
}

function contentEnd(lines: string[]): number {
  return trimTrailingBlank(lines).length;
}

function trimLeadingBlank(lines: string[]): string[] {
  const first = lines.findIndex((line) => line.trim() !== "");
  return first === -1 ? [] : lines.slice(first);
}

function trimTrailingBlank(lines: string[]): string[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === "") end--;
  return lines.slice(0, end);
}

function ensureFinalNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

function toLf(text: string): string {
  return text.replace(/\r\n/g, "\n");
}

function withEol(text: string, eol: string): string {
  const normalized = ensureFinalNewline(text);
  return eol === "\n" ? normalized : normalized.replace(/\n/g, eol);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
