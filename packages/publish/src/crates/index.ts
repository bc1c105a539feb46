import {
  type CrateVersions,
  crateVersionsInIndex,
  type IndexHttp,
  PolyglotError,
  sparseIndexBase,
} from "@polyglot-changesets/core";
import {
  describeFetchError,
  type HttpAnswer,
  httpRequest,
  isObject,
  parseJsonAnswer,
  redactUrl,
} from "../http.js";

export type { CrateVersions } from "@polyglot-changesets/core";

/** An index file is one JSON object per line; at most this many bytes are read (serde's is ~1 MB). */
const MAX_INDEX_FILE = 16 * 1024 * 1024;

/** The sparse index through publish's bounded HTTP (deadline, size cap, redaction). */
const indexHttp: IndexHttp = {
  async get(url, headers) {
    let answer: HttpAnswer;
    try {
      answer = await httpRequest(url, { headers, maxBytes: MAX_INDEX_FILE });
    } catch (error) {
      throw new Error(describeFetchError(error));
    }
    return { status: answer.status, text: () => answer.body.toString("utf8") };
  },
  redact: redactUrl,
};

/** The versions of `name` in the sparse index `index` (yanked ones count). */
export function fetchCrateVersions(index: string, name: string): Promise<CrateVersions> {
  return crateVersionsInIndex(index, name, indexHttp);
}

/** `config.json` of a sparse index: where its web API is. */
export async function fetchIndexApi(index: string): Promise<string> {
  const url = `${sparseIndexBase(index)}config.json`;
  let answer: HttpAnswer;
  try {
    answer = await httpRequest(url, { headers: { accept: "application/json" }, maxBytes: 64 * 1024 });
  } catch (error) {
    throw configError(index, `no answer (${describeFetchError(error)})`);
  }
  if (answer.status !== 200) throw configError(index, `HTTP ${answer.status}`);
  const parsed = parseJsonAnswer(answer);
  const api = parsed.ok && isObject(parsed.value) ? parsed.value.api : undefined;
  if (typeof api !== "string" || !/^https?:\/\/[^\s]+$/.test(api)) {
    throw configError(index, "its config.json names no web API (`api`): the registry cannot take uploads");
  }
  return api.replace(/\/+$/, "");
}

function configError(index: string, what: string): PolyglotError {
  return new PolyglotError(`cannot read ${redactUrl(sparseIndexBase(index))}config.json: ${what}`, {
    code: "crates-lookup-failed",
    setting: "crates",
    fix: "check the network and the crates registry (crates in .changeset/polyglot.json), then re-run",
    exitCode: 1,
  });
}
