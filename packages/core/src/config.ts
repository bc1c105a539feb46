import path from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv";
import jsonc from "jsonc-parser";
import { PolyglotError } from "./errors.js";
import { validate as validateAgainstSchema } from "./generated/polyglot-schema-validator.js";
import type { Pep440Map } from "./pep440.js";
import { RepoFiles } from "./repo-files.js";
import { closestNames } from "./workspace-names.js";

/** One follow target of `.changeset/polyglot.json`. */
export interface TargetConfig {
  /** Folder holding pyproject.toml or Cargo.toml, relative to the repo root. */
  path: string;
  /** npm workspace package whose version the target follows. */
  versionFrom: string;
  /** Files relative to `path` holding a `__version__ = "..."` line. */
  versionFiles?: string[];
  /** Mirror the source's new CHANGELOG section into `<path>/CHANGELOG.md`. */
  changelog?: boolean;
}

/** `.changeset/polyglot.json` with defaults filled in. */
export interface PolyglotConfig {
  targets: TargetConfig[];
  pep440: Pep440Map;
  pypi: { index: string; workflow?: string };
  crates: CratesConfig;
  /** What was registered as the trusted publisher on npm / PyPI / crates.io (checked by doctor, used by trust). */
  trustedPublisher?: TrustedPublisherConfig;
}

/** `trustedPublisher` of `.changeset/polyglot.json`: the workflow file and environment the registries trust. */
export interface TrustedPublisherConfig {
  /** Workflow file name in `.github/workflows` (GitHub) or the pipeline file (GitLab), e.g. `release.yml`. */
  workflow: string;
  /** The CI environment name registered with the publisher, if any. */
  environment?: string;
  /** `owner/repo` (GitHub) or `group/project` (GitLab); default: from the packages' `repository.url`. */
  repository?: string;
}

/**
 * `crates`: where Cargo targets are published. `registry` is a web API URL (crates.io by default) or the name of a
 * registry in `.cargo/config.toml`; `index` is the sparse index of a registry given by URL.
 */
export interface CratesConfig {
  registry: string;
  index: string;
}

export const CRATES_IO_API = "https://crates.io";
export const CRATES_IO_INDEX = "sparse+https://index.crates.io/";

/** Repo-relative location of the config file. */
export const POLYGLOT_CONFIG_FILE = ".changeset/polyglot.json";

/**
 * Absolute path of the shipped JSON schema, resolved through the package's own exports: the same from `src/`,
 * `dist/` and from a CLI bundle that inlines this module (scripts/bundle-clis.mjs).
 */
export const POLYGLOT_SCHEMA_PATH = new URL(import.meta.resolve("@polyglot-changesets/core/schema.json"));

const DEFAULT_INDEX = "https://pypi.org";

type JsonObject = Record<string, unknown>;

/** Reads and validates `.changeset/polyglot.json` under `root`; defaults when the file is absent. */
export async function readPolyglotConfig(root: string): Promise<PolyglotConfig> {
  const text = readConfigText(root);
  if (text === undefined) return withDefaults({});
  const tree = parseConfigJson(text);
  const value = jsonc.getNodeValue(tree) as unknown;
  validateConfig(value, text, tree);
  const config = withDefaults(value as JsonObject);
  checkDuplicatePaths(config, text, tree);
  return config;
}

function readConfigText(root: string): string | undefined {
  try {
    return new RepoFiles(root).read(POLYGLOT_CONFIG_FILE);
  } catch (error) {
    if (error instanceof PolyglotError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new PolyglotError(code === "EISDIR" ? "is a folder, not a file" : `cannot be read (${code})`, {
      code: "invalid-polyglot-json",
      file: POLYGLOT_CONFIG_FILE,
      fix: "make .changeset/polyglot.json a readable JSON file, or remove it to use the defaults",
    });
  }
}

function withDefaults(raw: JsonObject): PolyglotConfig {
  const pypi = (raw.pypi ?? {}) as { index?: string; workflow?: string };
  const crates = (raw.crates ?? {}) as Partial<CratesConfig>;
  return {
    targets: (raw.targets ?? []) as TargetConfig[],
    pep440: (raw.pep440 ?? {}) as Pep440Map,
    pypi: { ...pypi, index: pypi.index ?? DEFAULT_INDEX },
    crates: { registry: crates.registry ?? CRATES_IO_API, index: crates.index ?? CRATES_IO_INDEX },
    ...(raw.trustedPublisher ? { trustedPublisher: raw.trustedPublisher as TrustedPublisherConfig } : {}),
  };
}

function parseConfigJson(text: string): jsonc.Node {
  const errors: jsonc.ParseError[] = [];
  const source = text.replace(/^\uFEFF/, "");
  if (source.trim() === "") {
    throw new PolyglotError("the file is empty", {
      code: "invalid-polyglot-json",
      file: POLYGLOT_CONFIG_FILE,
      line: 1,
      fix: 'write a JSON object such as { "targets": [] }, or delete the file to use the defaults',
    });
  }
  const tree = jsonc.parseTree(source, errors, { disallowComments: true, allowTrailingComma: false });
  const first = errors[0];
  if (first || !tree) {
    const offset = first?.offset ?? 0;
    const { line, column } = lineAndColumn(source, offset);
    const problem = first ? describeParseError(first.error) : "no value";
    throw new PolyglotError(`invalid JSON at line ${line}, column ${column}: ${problem}`, {
      code: "invalid-polyglot-json",
      file: POLYGLOT_CONFIG_FILE,
      line,
      fix: "make the file valid JSON (no comments, no trailing commas), or delete it to use the defaults",
    });
  }
  if (tree.type !== "object") {
    throw new PolyglotError("the configuration must be a JSON object", {
      code: "invalid-polyglot-json",
      file: POLYGLOT_CONFIG_FILE,
      line: 1,
      fix: 'write an object such as { "targets": [] }',
    });
  }
  return tree;
}

function describeParseError(code: jsonc.ParseErrorCode): string {
  const name = jsonc.printParseErrorCode(code);
  return name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lastBreak = before.lastIndexOf("\n");
  return { line: before.split("\n").length, column: offset - lastBreak };
}

// The schema compiled ahead of time (scripts/generate-schema-validator.mjs): no ajv to load and compile per run.
const validatePolyglotConfig = validateAgainstSchema as ValidateFunction;

function validateConfig(value: unknown, text: string, tree: jsonc.Node): void {
  if (validatePolyglotConfig(value)) return;
  const error = pickMostUseful(validatePolyglotConfig.errors ?? []);
  throw schemaError(error, text, tree);
}

/** `additionalProperties` and `required` say the most; ajv also reports the schema branches they caused. */
function pickMostUseful(errors: ErrorObject[]): ErrorObject {
  // An unknown key first: it is often the required one misspelled (`versionfrom`), and its error names the line
  // and the key meant; "missing versionFrom" alone would send the user looking for the wrong thing.
  const order = ["additionalProperties", "required", "type", "enum"];
  const rank = (error: ErrorObject) => {
    const at = order.indexOf(error.keyword);
    return at === -1 ? order.length : at;
  };
  return [...errors].sort((a, b) => rank(a) - rank(b))[0]!;
}

/** `/targets/1/versionFrom` -> `["targets", 1, "versionFrom"]` */
function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

/** `["targets", 1, "versionFrom"]` -> `targets[1].versionFrom` */
export function formatSettingPath(segments: readonly (string | number)[]): string {
  return segments
    .map((segment, index) =>
      typeof segment === "number" ? `[${segment}]` : index === 0 ? segment : `.${segment}`,
    )
    .join("");
}

function lineOf(text: string, tree: jsonc.Node, segments: (string | number)[]): number | undefined {
  const node = jsonc.findNodeAtLocation(tree, segments);
  const offset = node?.parent?.type === "property" ? node.parent.offset : node?.offset;
  return offset === undefined ? undefined : lineAndColumn(text.replace(/^\uFEFF/, ""), offset).line;
}

function schemaError(error: ErrorObject, text: string, tree: jsonc.Node): PolyglotError {
  const at = pointerSegments(error.instancePath);
  const { message, fix, setting } = explainSchemaError(error, at);
  return new PolyglotError(message, {
    code: "invalid-polyglot-json",
    file: POLYGLOT_CONFIG_FILE,
    line: lineOf(text, tree, setting),
    setting: formatSettingPath(setting),
    fix,
  });
}

const KNOWN_KEYS: Record<string, string[]> = {
  root: ["$schema", "targets", "pep440", "pypi", "crates", "trustedPublisher"],
  target: ["path", "versionFrom", "versionFiles", "changelog"],
  pypi: ["index", "workflow"],
  crates: ["registry", "index"],
  trustedPublisher: ["workflow", "environment", "repository"],
};

function knownKeysAt(at: (string | number)[]): string[] {
  if (at.length === 0) return KNOWN_KEYS.root!;
  if (at[0] === "targets") return KNOWN_KEYS.target!;
  if (at[0] === "crates") return KNOWN_KEYS.crates!;
  if (at[0] === "trustedPublisher") return KNOWN_KEYS.trustedPublisher!;
  return KNOWN_KEYS.pypi!;
}

const EXAMPLES: Record<string, string> = {
  path: '"path": "packages/python"',
  versionFrom: '"versionFrom": "@scope/core"',
  workflow: '"workflow": "release.yml"',
};

function explainSchemaError(
  error: ErrorObject,
  at: (string | number)[],
): { message: string; fix: string; setting: (string | number)[] } {
  const where = formatSettingPath(at) || "the top level";
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties": {
      const key = String(params.additionalProperty);
      const known = knownKeysAt(at);
      const close = closestNames(key, known, 1)[0];
      const hint = close ? `did you mean "${close}"? ` : "";
      return {
        message: `unknown setting "${key}"`,
        fix: `${hint}remove or rename it; settings allowed at ${where}: ${known.join(", ")}`,
        setting: [...at, key],
      };
    }
    case "required": {
      const key = String(params.missingProperty);
      return {
        message: `${where} is missing the required setting "${key}"`,
        fix: `add ${EXAMPLES[key] ?? `"${key}"`} to ${where}`,
        setting: [...at, key],
      };
    }
    case "enum":
      return {
        message: `${where} must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
        fix: 'map the prerelease tag to a PEP 440 tag: "a" (alpha), "b" (beta), "rc" or "dev"',
        setting: at,
      };
    case "type":
      return {
        message: `${where} must be ${withArticle(String(params.type))}`,
        fix: `change ${where} to ${withArticle(String(params.type))}`,
        setting: at,
      };
    default:
      return {
        message: `${where} ${error.message ?? "is invalid"}`,
        fix: settingFix(at),
        setting: at,
      };
  }
}

function withArticle(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function settingFix(at: (string | number)[]): string {
  const last = at[at.length - 1];
  if (last === "path") return "use a folder path relative to the repo root, such as packages/python";
  if (at[0] === "crates" && last === "index")
    return "use the sparse index URL, such as sparse+https://index.crates.io/";
  if (at[0] === "crates") {
    return 'use the web API URL, such as https://crates.io, or the name of a registry in .cargo/config.toml, such as "my-registry"';
  }
  if (last === "index") return "use the index's base URL, such as https://pypi.org";
  if (at[0] === "trustedPublisher")
    return 'use the values registered on the registry, such as { "workflow": "release.yml", "environment": "npm" }';
  if (at[0] === "pep440") return "use a semver prerelease tag (letters, digits, hyphens) as the key";
  return "see the JSON schema in @polyglot-changesets/core (polyglot.schema.json)";
}

function checkDuplicatePaths(config: PolyglotConfig, text: string, tree: jsonc.Node): void {
  const seen = new Map<string, number>();
  config.targets.forEach((target, index) => {
    const key = path.posix.normalize(target.path.replace(/\\/g, "/")).replace(/\/$/, "");
    const first = seen.get(key);
    if (first !== undefined) {
      throw new PolyglotError(`targets[${index}] repeats the path "${target.path}" of targets[${first}]`, {
        code: "invalid-polyglot-json",
        file: POLYGLOT_CONFIG_FILE,
        line: lineOf(text, tree, ["targets", index, "path"]),
        setting: `targets[${index}].path`,
        fix: "declare each target folder once",
      });
    }
    seen.set(key, index);
  });
}
