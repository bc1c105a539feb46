import { isPrerelease, sameVersion } from "./pypi-names.js";
import { filePath, type PypiFile, type PypiProject, type PypiRelease } from "./pypi-store.js";

/** `GET /pypi/<name>/json` and `/pypi/<name>/<version>/json` bodies, in warehouse's shape. */
export function projectJson(
  baseUrl: string,
  project: PypiProject,
  version?: string,
): (Record<string, unknown> & { last_serial: number }) | undefined {
  const release = version === undefined ? latestRelease(project) : findRelease(project, version);
  if (!release) return undefined;
  const body: Record<string, unknown> & { last_serial: number } = {
    info: releaseInfo(baseUrl, project, release),
    urls: release.files.map((file) => fileJson(baseUrl, release, file)),
    vulnerabilities: [],
    last_serial: serialOf(project),
  };
  if (version === undefined) {
    body.releases = Object.fromEntries(
      project.releases.map((each) => [each.version, each.files.map((file) => fileJson(baseUrl, each, file))]),
    );
  }
  return body;
}

/**
 * Warehouse resolves the URL's version with `canonicalize_version` (so `1.2.0-rc.1`, `1.2.0.rc1` and `1.2rc1`
 * all find the release stored as `1.2.0rc1`); a string that is not PEP 440 is compared as is and finds nothing.
 */
function findRelease(project: PypiProject, version: string): PypiRelease | undefined {
  return project.releases.find((release) => sameVersion(release.version, version));
}

/** The newest final release, else the newest prerelease (warehouse orders `is_prerelease` last). */
function latestRelease(project: PypiProject): PypiRelease | undefined {
  const newestFirst = [...project.releases].reverse();
  return newestFirst.find((release) => !isPrerelease(release.version)) ?? newestFirst[0];
}

function releaseInfo(baseUrl: string, project: PypiProject, release: PypiRelease) {
  return {
    name: project.name,
    version: release.version,
    summary: release.summary ?? null,
    requires_python: release.requiresPython ?? null,
    package_url: `${baseUrl}project/${project.name}/`,
    project_url: `${baseUrl}project/${project.name}/`,
    release_url: `${baseUrl}project/${project.name}/${release.version}/`,
    yanked: false,
    yanked_reason: null,
  };
}

function fileJson(baseUrl: string, release: PypiRelease, file: PypiFile) {
  return {
    filename: file.filename,
    packagetype: file.packagetype,
    python_version: file.pythonVersion,
    md5_digest: file.md5,
    digests: { md5: file.md5, sha256: file.sha256, blake2b_256: file.blake2_256 },
    size: file.size,
    upload_time: file.uploadTime.toISOString().slice(0, 19),
    upload_time_iso_8601: file.uploadTime.toISOString(),
    url: `${baseUrl}${filePath(file)}`,
    requires_python: release.requiresPython ?? null,
    yanked: false,
    yanked_reason: null,
  };
}

function serialOf(project: PypiProject): number {
  return project.releases.reduce((count, release) => count + release.files.length + 1, 0);
}

export type SimpleFormat = "json" | "html" | "legacy-html";

export const SIMPLE_CONTENT_TYPES: Record<SimpleFormat, string> = {
  json: "application/vnd.pypi.simple.v1+json",
  html: "application/vnd.pypi.simple.v1+html",
  "legacy-html": "text/html",
};

/** PEP 691 content negotiation; undefined means 406. Without an Accept header warehouse answers text/html. */
export function negotiateSimpleFormat(accept: string | undefined): SimpleFormat | undefined {
  if (!accept) return "legacy-html";
  const offers: Array<[string, SimpleFormat]> = [
    ["application/vnd.pypi.simple.v1+json", "json"],
    ["application/vnd.pypi.simple.latest+json", "json"],
    ["application/vnd.pypi.simple.v1+html", "html"],
    ["application/vnd.pypi.simple.latest+html", "html"],
    ["text/html", "legacy-html"],
    ["*/*", "legacy-html"],
    ["text/*", "legacy-html"],
  ];
  let best: { format: SimpleFormat; quality: number } | undefined;
  for (const entry of accept.split(",")) {
    const [type = "", ...params] = entry.split(";").map((part) => part.trim());
    const quality = Number(params.find((param) => param.startsWith("q="))?.slice(2) ?? "1");
    const format = offers.find(([offered]) => offered === type.toLowerCase())?.[1];
    if (format && quality > 0 && (!best || quality > best.quality)) best = { format, quality };
  }
  return best?.format;
}

export function simpleRoot(projects: PypiProject[], format: SimpleFormat): string {
  if (format === "json") {
    return JSON.stringify({
      meta: { "api-version": "1.1", _last_serial: projects.length },
      projects: projects.map((project) => ({ name: project.name })),
    });
  }
  const anchors = projects
    .map((project) => `    <a href="${escapeHtml(project.normalizedName)}/">${escapeHtml(project.name)}</a>`)
    .join("\n");
  return htmlPage("Simple index", anchors);
}

export function simpleProject(baseUrl: string, project: PypiProject, format: SimpleFormat): string {
  const entries = project.releases.flatMap((release) => release.files.map((file) => ({ release, file })));
  if (format === "json") {
    return JSON.stringify({
      meta: { "api-version": "1.1", _last_serial: serialOf(project) },
      name: project.normalizedName,
      versions: project.releases.map((release) => release.version),
      files: entries.map(({ release, file }) => ({
        filename: file.filename,
        url: `${baseUrl}${filePath(file)}`,
        hashes: { sha256: file.sha256 },
        "requires-python": release.requiresPython ?? null,
        size: file.size,
        "upload-time": file.uploadTime.toISOString(),
        yanked: false,
      })),
    });
  }
  const anchors = entries
    .map(({ release, file }) => {
      const requires = release.requiresPython
        ? ` data-requires-python="${escapeHtml(release.requiresPython)}"`
        : "";
      const href = `${baseUrl}${filePath(file)}#sha256=${file.sha256}`;
      return `    <a href="${escapeHtml(href)}"${requires}>${escapeHtml(file.filename)}</a><br />`;
    })
    .join("\n");
  return htmlPage(`Links for ${project.normalizedName}`, anchors);
}

function htmlPage(title: string, body: string): string {
  return [
    "<!DOCTYPE html>",
    "<html>",
    "  <head>",
    '    <meta name="pypi:repository-version" content="1.1">',
    `    <title>${escapeHtml(title)}</title>`,
    "  </head>",
    "  <body>",
    `    <h1>${escapeHtml(title)}</h1>`,
    body,
    "  </body>",
    "</html>",
    "",
  ].join("\n");
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
