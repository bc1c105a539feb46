// The PyPI adapter's upload side (the registry side of `polyglot-publish pypi-upload`): which files are
// distributions (PEP 625 / PEP 427 names), where an index takes uploads and mints tokens, which files of a release
// its JSON API lists (through the caller's RegistryHttp, as the version lookup), and what warehouse's refusals
// mean. Running twine and the CI's ID tokens stay with the caller (publish).
import type { ErrorCode } from "../../error-codes.js";
import { PolyglotError } from "../../errors.js";
import { isValidName } from "../../names.js";
import { normalizePythonName, samePep440 } from "../../pep440.js";
import type { RegistryAnswer, RegistryHttp, VersionQuery } from "../adapter.js";
import { isJsonObject } from "../registry-lookup.js";

/** One built distribution: an sdist (`.tar.gz`) or a wheel (`.whl`). */
export interface Distribution {
  /** Absolute path. */
  path: string;
  filename: string;
  /** PEP 503 name, from the file name. */
  project: string;
  /** The version as the file name spells it (canonical for files built by current tools). */
  version: string;
  kind: "sdist" | "wheel";
}

/** The files of one release (same project, same PEP 440 version). */
export interface DistributionGroup {
  project: string;
  version: string;
  files: Distribution[];
}

/** The only kinds PyPI accepts. */
export function isDistributionName(name: string): boolean {
  return name.endsWith(".tar.gz") || name.endsWith(".whl");
}

/** `name-version.tar.gz` (PEP 625), `name-version(-build)?-py-abi-platform.whl` (PEP 427). */
export function parseDistribution(file: string): Distribution {
  const filename = file.slice(file.lastIndexOf("/") + 1);
  const wheel = filename.endsWith(".whl");
  const stem = filename.slice(0, wheel ? -".whl".length : -".tar.gz".length);
  const parts = wheel ? stem.split("-") : splitSdist(stem);
  const [name = "", version = ""] = parts;
  const shapeOk = wheel ? parts.length === 5 || parts.length === 6 : parts.length === 2;
  if (!shapeOk || !isValidName("python", name) || !samePep440(version, version)) {
    throw new PolyglotError(
      `${JSON.stringify(filename)} is not a valid ${wheel ? "wheel" : "sdist"} file name (name-version${wheel ? "-python-abi-platform.whl" : ".tar.gz"} with a PEP 440 version)`,
      {
        code: "pypi-version-not-canonical",
        file,
        fix: "rebuild with current build tools (`python3 -m build`): they write the normalized names PyPI requires",
      },
    );
  }
  return {
    path: file,
    filename,
    project: normalizePythonName(name),
    version,
    kind: wheel ? "wheel" : "sdist",
  };
}

/** An sdist's version never holds a `-`; a legacy name may. */
function splitSdist(stem: string): string[] {
  const at = stem.lastIndexOf("-");
  return at <= 0 ? [stem] : [stem.slice(0, at), stem.slice(at + 1)];
}

/** The files grouped by release, in the given order. */
export function groupByRelease(files: readonly Distribution[]): DistributionGroup[] {
  const groups: DistributionGroup[] = [];
  for (const file of files) {
    const group = groups.find(
      (candidate) => candidate.project === file.project && samePep440(candidate.version, file.version),
    );
    if (group) group.files.push(file);
    else groups.push({ project: file.project, version: file.version, files: [file] });
  }
  return groups;
}

/** The URLs of an index: pypi.org takes uploads on another host; other indexes at `<index>/legacy/`. */
export interface PypiIndexUrls {
  index: string;
  upload: string;
  audience: string;
  mintToken: string;
}

export function pypiIndexUrls(index: string): PypiIndexUrls {
  const base = index.replace(/\/+$/, "");
  const upload =
    new URL(base).hostname === "pypi.org" ? "https://upload.pypi.org/legacy/" : `${base}/legacy/`;
  return { index: base, upload, audience: `${base}/_/oidc/audience`, mintToken: `${base}/_/oidc/mint-token` };
}

/**
 * The file names the index holds for one release (its JSON API's `urls`, asked through the caller's HTTP); none
 * when the release is not there (404). An answer that is not the JSON API's is an error: guessing could upload a
 * file twice or skip one.
 */
export async function filesOnIndex(query: VersionQuery, http: RegistryHttp): Promise<Set<string>> {
  const index = query.index.replace(/\/+$/, "");
  const url = `${index}/pypi/${encodeURIComponent(query.name)}/${encodeURIComponent(query.version)}/json`;
  let answer: RegistryAnswer;
  try {
    answer = await http.get(url, { accept: "application/json" });
  } catch (error) {
    throw filesLookupError(query, http, (error as Error).message);
  }
  if (answer.status === 404) return new Set();
  if (answer.status !== 200) throw filesLookupError(query, http, `HTTP ${answer.status}`);
  const parsed = answer.json();
  const urls = parsed.ok && isJsonObject(parsed.value) ? parsed.value.urls : undefined;
  if (!Array.isArray(urls)) {
    throw filesLookupError(query, http, parsed.ok ? "answered JSON without a `urls` list" : parsed.reason);
  }
  return new Set(
    urls.flatMap((entry) =>
      isJsonObject(entry) && typeof entry.filename === "string" ? [entry.filename] : [],
    ),
  );
}

function filesLookupError(query: VersionQuery, http: RegistryHttp, what: string): PolyglotError {
  return new PolyglotError(
    `cannot read which files of ${query.name} ${query.version} are on ${http.redact(query.index)}: ${what}`,
    {
      code: "registry-lookup-failed",
      setting: "--index",
      fix: "check the network and --index (it must serve the PyPI JSON API at /pypi/<name>/<version>/json), then re-run; nothing was uploaded",
      exitCode: 1,
    },
  );
}

/** What a refusal of warehouse's upload endpoint means and what to do. */
export interface UploadRefusal {
  code: ErrorCode;
  what: string;
  fix: string;
  /** 1: re-running may help; 2: something to change first. */
  exitCode: 1 | 2;
}

const REFUSALS: Array<UploadRefusal & { pattern: RegExp }> = [
  {
    code: "pypi-release-closed",
    pattern: /releases older than 14 days is not allowed/i,
    what: "PyPI accepts no new file for a release older than 14 days",
    fix: "release a new version (add a changeset and run the release again); the missing file cannot be added to this one",
    exitCode: 2,
  },
  {
    code: "pypi-file-exists",
    pattern: /File already exists/i,
    what: "a different file with this name is already on the index (PyPI never replaces a file's bytes)",
    fix: "never rebuild a released version: release a new version with a changeset; to resume a partial upload, upload the files built the first time",
    exitCode: 2,
  },
  {
    code: "pypi-filename-reused",
    pattern: /filename has (already|previously) been used/i,
    what: "this file name was used before (the file was deleted): PyPI never accepts it again",
    fix: "release a new version with a changeset",
    exitCode: 2,
  },
  {
    code: "pypi-project-not-owned",
    pattern: /isn't allowed to upload to project|not valid for project|not allowed to upload/i,
    what: "the credential may not upload to this project (the name belongs to someone else, or the token or trusted publisher is for another project)",
    fix: "check the project name in pyproject.toml; on PyPI, add the trusted publisher on this project's Publishing page (or use a token scoped to it)",
    exitCode: 2,
  },
  {
    code: "pypi-version-not-canonical",
    pattern:
      /invalid value for Version|Version in filename should be|is invalid, should be|Start filename for|normalized project name/i,
    what: "the file's name or version is not the canonical PEP 440 / PEP 625 spelling PyPI requires",
    fix: "let polyglot-version write the canonical PEP 440 version into pyproject.toml, and build with current tools (`python3 -m build`)",
    exitCode: 2,
  },
  {
    code: "pypi-auth-refused",
    pattern: /Invalid or non-existent authentication|Invalid API Token|403 Forbidden/i,
    what: "the index refused the credential (expired, revoked or wrong)",
    fix: "re-run the job (a minted token lives 15 minutes); with PYPI_API_TOKEN, check the secret",
    exitCode: 1,
  },
];

/** The refusal a message of warehouse's (`File already exists ...`) is; undefined for one it does not know. */
export function uploadRefusal(indexMessage: string): UploadRefusal | undefined {
  const found = REFUSALS.find((refusal) => refusal.pattern.test(indexMessage));
  if (!found) return undefined;
  const { pattern: _pattern, ...refusal } = found;
  return refusal;
}
