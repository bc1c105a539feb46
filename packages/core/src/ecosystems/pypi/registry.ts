import path from "node:path";
import { parseTomlDocument, tomlValueAt } from "../../edit/toml.js";
import { normalizePythonName, samePep440, toPep440 } from "../../pep440.js";
import type { EcosystemRegistry, VersionQuery } from "../adapter.js";
import { isJsonObject, type JsonVersionApi, lookUpVersion, quotedAnswer } from "../registry-lookup.js";
import { PYPROJECT } from "./facts.js";

/** The PyPI JSON API: `GET <index>/pypi/<name>/<version>/json` (PEP 503 name, canonical PEP 440 version). */
const pypiJsonApi: JsonVersionApi = {
  url: (index, query) =>
    `${index}/pypi/${encodeURIComponent(query.name)}/${encodeURIComponent(query.version)}/json`,
  problemOf: (value, { name, version }: VersionQuery) => {
    const info = isJsonObject(value) ? value.info : undefined;
    if (!isJsonObject(info)) return "answered JSON without an `info` object (not the PyPI JSON API)";
    if (typeof info.name !== "string") return `answered no project name (\`info.name\`) for ${name}`;
    if (normalizePythonName(info.name) !== name) {
      return `answered the project ${quotedAnswer(info.name)} instead of ${name}`;
    }
    if (typeof info.version !== "string")
      return `answered no version (\`info.version\`) for ${name} ${version}`;
    if (!samePep440(info.version, version)) {
      return `answered version ${quotedAnswer(info.version)} instead of ${version}`;
    }
    return undefined;
  },
  setting: "pypi.index",
  networkFix: "check the network and `pypi.index` in .changeset/polyglot.json (or --index), then re-run",
  shapeFix:
    "check `pypi.index` in .changeset/polyglot.json (or --index): it must serve the PyPI JSON API at /pypi/<name>/<version>/json",
};

export const pypiRegistry: EcosystemRegistry = {
  displayName: "PyPI",
  packageName: (target) => normalizePythonName(target.name),
  publishVersion: (semver, config) => toPep440(semver, config.pep440),
  versionState: (query, http) => lookUpVersion(pypiJsonApi, query, http),
  nameInFolder(dir, read) {
    const text = read(path.join(dir, PYPROJECT));
    if (text === undefined) return undefined;
    const toml = parseTomlDocument(text).data;
    const name = tomlValueAt(toml, ["project", "name"]) ?? tomlValueAt(toml, ["tool", "poetry", "name"]);
    return typeof name === "string" && name ? name : undefined;
  },
};
