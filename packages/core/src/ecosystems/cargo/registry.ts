import path from "node:path";
import { parseTomlDocument, tomlValueAt } from "../../edit/toml.js";
import type { EcosystemRegistry, VersionQuery } from "../adapter.js";
import { isJsonObject, type JsonVersionApi, lookUpVersion, quotedAnswer } from "../registry-lookup.js";
import { CARGO_TOML } from "./facts.js";

/** crates.io's API: `GET /api/v1/crates/<name>/<version>` answers `{ "version": { "crate", "num" } }`. */
const cratesApi: JsonVersionApi = {
  url: (index, query) =>
    `${index}/api/v1/crates/${encodeURIComponent(query.name)}/${encodeURIComponent(query.version)}`,
  problemOf: (value, query: VersionQuery) => {
    const version = isJsonObject(value) ? value.version : undefined;
    if (!isJsonObject(version)) return "answered JSON without a `version` object (not the crates.io API)";
    if (version.crate !== query.name)
      return `answered the crate ${quotedAnswer(version.crate)} instead of ${query.name}`;
    if (version.num !== query.version) {
      return `answered version ${quotedAnswer(version.num)} instead of ${query.version}`;
    }
    return undefined;
  },
  setting: "--index",
  networkFix: "check the network and the crates.io index URL, then re-run",
  shapeFix: "the index must serve the crates.io API at /api/v1/crates/<name>/<version>",
};

export const cargoRegistry: EcosystemRegistry = {
  displayName: "crates.io",
  packageName: (target) => target.name,
  publishVersion: (semver) => semver,
  versionState: (query, http) => lookUpVersion(cratesApi, query, http),
  nameInFolder(dir, read) {
    const text = read(path.join(dir, CARGO_TOML));
    if (text === undefined) return undefined;
    const name = tomlValueAt(parseTomlDocument(text).data, ["package", "name"]);
    return typeof name === "string" && name ? name : undefined;
  },
};
