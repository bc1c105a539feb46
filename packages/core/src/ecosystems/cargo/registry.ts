import path from "node:path";
import { parseTomlDocument, tomlValueAt } from "../../edit/toml.js";
import type { EcosystemRegistry } from "../adapter.js";
import { CARGO_TOML } from "./facts.js";
import { crateVersionsInIndex } from "./sparse-index.js";

export const cargoRegistry: EcosystemRegistry = {
  displayName: "crates.io",
  packageName: (target) => target.name,
  publishVersion: (semver) => semver,
  // The sparse index, as cargo itself reads it (`index` is e.g. `sparse+https://index.crates.io/`): a version is
  // there, yanked or not, once its line is.
  versionState: async (query, http) =>
    (await crateVersionsInIndex(query.index, query.name, http)).versions.has(query.version)
      ? "present"
      : "missing",
  nameInFolder(dir, read) {
    const text = read(path.join(dir, CARGO_TOML));
    if (text === undefined) return undefined;
    const name = tomlValueAt(parseTomlDocument(text).data, ["package", "name"]);
    return typeof name === "string" && name ? name : undefined;
  },
};
