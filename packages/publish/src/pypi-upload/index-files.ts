import { filesOnIndex as pypiFilesOnIndex } from "@polyglot-changesets/core";
import { registryHttp } from "../lookup.js";

/** The file names the index holds for `project` `version`: the PyPI adapter asks, through publish's bounded HTTP. */
export function filesOnIndex(index: string, project: string, version: string): Promise<Set<string>> {
  return pypiFilesOnIndex({ index, name: project, version }, registryHttp);
}
