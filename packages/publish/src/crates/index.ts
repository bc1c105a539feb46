import {
  type CrateVersions,
  crateVersionsInIndex,
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
import { registryHttp } from "../lookup.js";

export type { CrateVersions } from "@polyglot-changesets/core";

/** The versions of `name` in the sparse index `index` (yanked ones count). */
export function fetchCrateVersions(index: string, name: string): Promise<CrateVersions> {
  return crateVersionsInIndex(index, name, registryHttp);
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
