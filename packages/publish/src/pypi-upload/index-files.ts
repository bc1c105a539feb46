import { PolyglotError } from "@polyglot-changesets/core";
import {
  describeFetchError,
  type HttpAnswer,
  httpRequest,
  isObject,
  parseJsonAnswer,
  redactUrl,
} from "../http.js";

/** The URLs of an index: PyPI uploads to another host than it serves from; other indexes use `<index>/legacy/`. */
export interface IndexUrls {
  index: string;
  upload: string;
  audience: string;
  mintToken: string;
}

export function indexUrls(index: string): IndexUrls {
  const base = index.replace(/\/+$/, "");
  const host = new URL(base).hostname;
  const upload = host === "pypi.org" ? "https://upload.pypi.org/legacy/" : `${base}/legacy/`;
  return { index: base, upload, audience: `${base}/_/oidc/audience`, mintToken: `${base}/_/oidc/mint-token` };
}

/**
 * The file names the index holds for `project` `version` (the JSON API's `urls`); empty when the release is not
 * there (404). An answer that is not the JSON API's stops the upload: guessing could upload twice or skip a file.
 */
export async function filesOnIndex(index: string, project: string, version: string): Promise<Set<string>> {
  const url = `${index.replace(/\/+$/, "")}/pypi/${encodeURIComponent(project)}/${encodeURIComponent(version)}/json`;
  let answer: HttpAnswer;
  try {
    answer = await httpRequest(url, { headers: { accept: "application/json" } });
  } catch (error) {
    throw lookupError(index, project, version, describeFetchError(error));
  }
  if (answer.status === 404) return new Set();
  if (answer.status !== 200) throw lookupError(index, project, version, `HTTP ${answer.status}`);
  const parsed = parseJsonAnswer(answer);
  const urls = parsed.ok && isObject(parsed.value) ? parsed.value.urls : undefined;
  if (!Array.isArray(urls)) {
    throw lookupError(
      index,
      project,
      version,
      parsed.ok ? "answered JSON without a `urls` list" : parsed.reason,
    );
  }
  return new Set(
    urls.flatMap((entry) => (isObject(entry) && typeof entry.filename === "string" ? [entry.filename] : [])),
  );
}

function lookupError(index: string, project: string, version: string, what: string): PolyglotError {
  return new PolyglotError(
    `cannot read which files of ${project} ${version} are on ${redactUrl(index)}: ${what}`,
    {
      setting: "--index",
      fix: "check the network and --index (it must serve the PyPI JSON API at /pypi/<name>/<version>/json), then re-run; nothing was uploaded",
      exitCode: 1,
    },
  );
}
