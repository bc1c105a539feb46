import { appendSummary, PolyglotError, setOutput } from "@polyglot-changesets/core";
import type { ArtifactUrl } from "./guards/after-publish.js";
import { type Gate, gateLine } from "./guards/gates.js";
import type { PypiRelease } from "./plan.js";
import type { Finding } from "./preflight.js";

export interface PublishedPackage {
  name: string;
  version: string;
}

export interface PypiPackage {
  name: string;
  version: string;
  path: string;
  tag: string;
}

/** A row of the job summary. */
export interface ReportRow {
  package: string;
  ecosystem: "npm" | "git tag" | "PyPI";
  version: string;
  link?: string;
  status: string;
}

/** What `--json` prints; the first four keys are the `GITHUB_OUTPUT` outputs. */
export interface PublishReport {
  published: boolean;
  "published-packages": PublishedPackage[];
  pypi: boolean;
  "pypi-packages": PypiPackage[];
  "dry-run": boolean;
  /** `name@version` of npm packages whose publish failed. */
  failed: string[];
  /** `name@version` of npm packages that another run published while this one ran. */
  "published-elsewhere": string[];
  findings: Finding[];
  rows: ReportRow[];
  /** The release gates, one checked line each (guards/gates.ts). */
  gates?: Gate[];
  /** Every artifact this run published (or handed off), with its registry URL: the `urls` output. */
  urls?: ArtifactUrl[];
  /** `--stage`: the npm versions staged for approval, with their stage ids: the `staged` output. */
  staged?: { name: string; version: string; stageId?: string; error?: string }[];
}

/** What became of one release in this run. */
export type Outcome = "published" | "published-elsewhere" | "failed" | "handed-over" | "planned";

/**
 * One release of the run: its summary row and what became of it. The outputs, the summary table and `--json`
 * are all derived from one list of these.
 */
export interface ReportRecord extends ReportRow {
  outcome: Outcome;
  /** `handed-over` PyPI releases: what the PyPI job gets. */
  pypi?: PypiPackage;
}

/** The report of a run from its records, in their order. */
export function buildReport(
  records: readonly ReportRecord[],
  findings: Finding[],
  dryRun: boolean,
): PublishReport {
  const released = records.filter((record) => record.outcome === "published");
  const handedOver = records.flatMap((record) =>
    record.outcome === "handed-over" && record.pypi ? [record.pypi] : [],
  );
  const named = (outcome: Outcome) =>
    records
      .filter((record) => record.outcome === outcome)
      .map((record) => `${record.package}@${record.version}`);
  return {
    published: released.length > 0,
    "published-packages": released.map((record) => ({ name: record.package, version: record.version })),
    pypi: handedOver.length > 0,
    "pypi-packages": handedOver,
    "dry-run": dryRun,
    failed: named("failed"),
    "published-elsewhere": named("published-elsewhere"),
    findings,
    rows: records.map(({ outcome: _outcome, pypi: _pypi, ...row }) => row),
  };
}

export function toPypiPackage(release: PypiRelease): PypiPackage {
  return { name: release.name, version: release.version, path: release.path, tag: release.tag };
}

/** The four outputs, in changesets/action's format for `published-packages`. */
export function writeOutputs(report: PublishReport, env: NodeJS.ProcessEnv): void {
  setOutput("published", String(report.published), env);
  setOutput("published-packages", JSON.stringify(report["published-packages"]), env);
  setOutput("pypi", String(report.pypi), env);
  setOutput("pypi-packages", JSON.stringify(report["pypi-packages"]), env);
  setOutput("urls", JSON.stringify(report.urls ?? []), env);
  if (report.staged) setOutput("staged", JSON.stringify(report.staged), env);
}

export function writeSummary(report: PublishReport, env: NodeJS.ProcessEnv): void {
  if (!env.GITHUB_STEP_SUMMARY) return;
  appendSummary(summaryMarkdown(report), env);
}

export function summaryMarkdown(report: PublishReport): string {
  const title = report["dry-run"] ? "### polyglot-publish (dry run)" : "### polyglot-publish";
  const gates = gatesMarkdown(report.gates ?? []) + urlsMarkdown(report.urls ?? []);
  if (report.rows.length === 0) return `${title}\n\nNothing to publish.\n${gates}`;
  const lines = [
    title,
    "",
    "| Package | Ecosystem | Version | Registry | Status |",
    "| --- | --- | --- | --- | --- |",
    ...report.rows.map(
      (row) =>
        `| ${cell(row.package)} | ${row.ecosystem} | ${cell(row.version)} | ${row.link ? markdownLink(row.link) : ""} | ${cell(row.status)} |`,
    ),
  ];
  const errors = report.findings.filter((finding) => finding.level === "error");
  if (errors.length > 0) {
    lines.push(
      "",
      "**Preflight errors**",
      "",
      ...errors.map((finding) => `- \`${finding.code}\`: ${cell(finding.message)}`),
    );
  }
  return `${lines.join("\n")}\n${gates}`;
}

/** The gates as a task list, so a release manager reads one checked line per gate. */
function gatesMarkdown(gates: readonly Gate[]): string {
  if (gates.length === 0) return "";
  const items = gates.map((gate) => {
    const line = gateLine(gate);
    const box = gate.state === "pass" ? "- [x]" : "- [ ]";
    return `${box} ${cell(line.replace(/^\[[x -]\] /, ""))}`;
  });
  return `\n**Release gates**\n\n${items.join("\n")}\n`;
}

/** The `urls` output as a list: where each published artifact is, and its tarball. */
function urlsMarkdown(urls: readonly ArtifactUrl[]): string {
  if (urls.length === 0) return "";
  const items = urls.map((entry) => {
    const tarball = entry.tarball ? ` (tarball: ${markdownLink(entry.tarball)})` : "";
    const state = entry.state === "handed-off" ? " (handed to the PyPI job)" : "";
    return `- ${cell(entry.name)} ${cell(entry.version)} on ${entry.ecosystem}: ${markdownLink(entry.url)}${tarball}${state}`;
  });
  return `\n**URLs**\n\n${items.join("\n")}\n`;
}

/** A link in a table cell; anything but an http(s) URL is shown as text, never made a link. */
export function markdownLink(link: string): string {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return cell(link);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return cell(link);
  // A link never carries credentials (already redacted upstream; `***@` would only make a broken link).
  url.username = "";
  url.password = "";
  // URL.href leaves these as they are: parentheses would end the link early, `|` the table cell, and the rest is
  // markdown. None is legal in a host name, so encoding them changes only the path and query.
  const href = url.href.replace(
    /[()|`\\[\]*_<>]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `[${cell(href.replace(/^https?:\/\//, ""))}](${href})`;
}

/**
 * Repo and registry text as one table cell that renders as the text itself: HTML and markdown are escaped,
 * a line break cannot end the row.
 */
export function cell(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_{}[\]()#+!|~]/g, "\\$&")
    .replace(/[\r\n]+/g, " ");
}

/** Where people look at a release: npmjs.com for the public registry, else the registry's packument URL. */
export function npmLink(registry: string, name: string, version: string): string {
  if (/^https:\/\/registry\.npmjs\.org\/?$/.test(registry))
    return `https://www.npmjs.com/package/${name}/v/${version}`;
  return `${registry}${name.replace("/", "%2f")}`;
}

export function pypiLink(index: string, name: string, version: string): string {
  return `${index.replace(/\/+$/, "")}/project/${name}/${version}/`;
}

/** What `--json` prints when the run ends in an error: the error, so stdout is never empty. */
export function errorJson(error: unknown): string {
  const details =
    error instanceof PolyglotError
      ? {
          code: error.code,
          message: error.message,
          exitCode: error.exitCode,
          ...(error.file ? { file: error.file } : {}),
          ...(error.setting ? { setting: error.setting } : {}),
          ...(error.fix ? { fix: error.fix } : {}),
        }
      : {
          message: `unexpected error: ${error instanceof Error ? error.message : String(error)}`,
          exitCode: 1,
        };
  return `${JSON.stringify({ error: details }, null, 2)}\n`;
}
