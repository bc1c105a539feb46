import { PolyglotError, releaseFileNames, releaseJsonUrl } from "@polyglot-changesets/core";
import { describeFetchError, type HttpAnswer, httpRequest, parseJsonAnswer, redactUrl } from "../http.js";

/**
 * The file names the index holds for `project` `version` (its JSON API's `urls`; core's PyPI rules read the
 * answer); empty when the release is not there. An answer that is not the JSON API's stops the upload.
 */
export async function filesOnIndex(index: string, project: string, version: string): Promise<Set<string>> {
  let answer: HttpAnswer;
  try {
    answer = await httpRequest(releaseJsonUrl(index, project, version), {
      headers: { accept: "application/json" },
    });
  } catch (error) {
    throw lookupError(index, project, version, describeFetchError(error));
  }
  const files = releaseFileNames(answer.status, () => parseJsonAnswer(answer));
  if (typeof files === "string") throw lookupError(index, project, version, files);
  return files;
}

function lookupError(index: string, project: string, version: string, what: string): PolyglotError {
  return new PolyglotError(
    `cannot read which files of ${project} ${version} are on ${redactUrl(index)}: ${what}`,
    {
      code: "registry-lookup-failed",
      setting: "--index",
      fix: "check the network and --index (it must serve the PyPI JSON API at /pypi/<name>/<version>/json), then re-run; nothing was uploaded",
      exitCode: 1,
    },
  );
}
