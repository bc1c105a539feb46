import {
  isMissingCrateStatus,
  PolyglotError,
  parseSparseIndexFile,
  sparseIndexBase,
  sparseIndexUrl,
} from "@polyglot-changesets/core";
import {
  describeFetchError,
  type HttpAnswer,
  httpRequest,
  isObject,
  parseJsonAnswer,
  redactUrl,
} from "../http.js";

/** What a sparse index holds of a crate: every version line, yanked ones included (they still exist). */
export interface CrateVersions {
  exists: boolean;
  versions: Set<string>;
}

/** An index file is one JSON object per line; at most this many bytes are read (serde's is ~1 MB). */
const MAX_INDEX_FILE = 16 * 1024 * 1024;

/**
 * The versions of `name` in the sparse index `index`. A 404 (and 410/451, as cargo reads them) means the crate does
 * not exist there. Every line must be an index entry of this crate: anything else is an error, never "missing".
 */
export async function fetchCrateVersions(index: string, name: string): Promise<CrateVersions> {
  const url = sparseIndexUrl(index, name);
  let answer: HttpAnswer;
  try {
    // no-cache: a CDN in front of the index may hold the file from before the publish.
    answer = await httpRequest(url, { headers: { "cache-control": "no-cache" }, maxBytes: MAX_INDEX_FILE });
  } catch (error) {
    throw indexError(index, name, `no answer (${describeFetchError(error)})`, NETWORK_FIX);
  }
  if (isMissingCrateStatus(answer.status)) {
    return { exists: false, versions: new Set() };
  }
  if (answer.status !== 200) {
    const hint =
      answer.status === 401 || answer.status === 403
        ? "the index wants credentials (auth-required registries are not supported yet): use a public index"
        : NETWORK_FIX;
    throw indexError(index, name, `HTTP ${answer.status}`, hint);
  }
  const parsed = parseSparseIndexFile(answer.body.toString("utf8"), name);
  if ("problem" in parsed) throw indexError(index, name, parsed.problem, SHAPE_FIX);
  return { exists: parsed.versions.size > 0, versions: parsed.versions };
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

const NETWORK_FIX =
  "check the network and the crates registry (crates in .changeset/polyglot.json), then re-run";
const SHAPE_FIX =
  "check the crates registry's index (crates.index in .changeset/polyglot.json or .cargo/config.toml): it must be a cargo sparse index; nothing was published";

function indexError(index: string, name: string, what: string, fix: string): PolyglotError {
  return new PolyglotError(`cannot look up crate ${name} in ${redactUrl(sparseIndexBase(index))}: ${what}`, {
    code: "crates-lookup-failed",
    setting: "crates",
    fix,
    exitCode: 1,
  });
}

function configError(index: string, what: string): PolyglotError {
  return new PolyglotError(`cannot read ${redactUrl(sparseIndexBase(index))}config.json: ${what}`, {
    code: "crates-lookup-failed",
    setting: "crates",
    fix: NETWORK_FIX,
    exitCode: 1,
  });
}
