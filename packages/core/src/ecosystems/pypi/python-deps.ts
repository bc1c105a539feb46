import {
  editTomlDocument,
  formatTomlPath,
  parseTomlDocument,
  type TomlDocument,
  type TomlEdit,
} from "../../edit/toml.js";
import type { TomlValueSpan } from "../../edit/toml-scan.js";
import type { EditOptions, EditResult, FieldEdit } from "../../edit/types.js";
import { PolyglotError } from "../../errors.js";
import { normalizePythonName } from "../../pep440.js";
import { moveClauseVersion, UnsatisfiableClause } from "./specifier.js";

const REQUIREMENT_NAME = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\]\s*)?/;
const CLAUSE = /(~=|===|==|!=|<=|>=|<|>)(\s*)([^\s,;)]+)/g;
const POETRY_CLAUSE = /^(\s*)(\^|~=|~|===|==|!=|<=|>=|<|>)?(\s*)([0-9][^\s,]*)(\s*)$/;

/**
 * Moves the version of every dependency on a synced Python package to that package's new version, in
 * `[project].dependencies`, `[project].optional-dependencies.*`, `[dependency-groups].*` (PEP 735) and Poetry's
 * `[tool.poetry.dependencies]`, `[tool.poetry.dev-dependencies]` and `[tool.poetry.group.*.dependencies]`.
 * Names compare after PEP 503 normalization; extras, markers, spacing and the quote style stay, and only the
 * string's own bytes change. Each clause keeps its operator and moves as {@link moveClauseVersion} says
 * (exact pins and lower bounds follow the release, `~=` and `==X.*` keep their precision, upper bounds move
 * only when they would exclude the new version). Poetry's `^X` and `~X` move like `>=X` (their window keeps its precision), a bare `X` like `==X`.
 * Direct references (`name @ url`) and Poetry path/git dependencies without a version are left alone.
 * A clause the new version cannot satisfy without a new operator (`!=X`, `>X`) is a PolyglotError.
 * `versions` maps PEP 503 normalized names (normalizePythonName) to canonical PEP 440 versions.
 */
export function updatePythonDependencies(
  text: string,
  versions: ReadonlyMap<string, string>,
  options: EditOptions = {},
): EditResult {
  if (versions.size === 0) return { text, edits: [] };
  const doc = parseTomlDocument(text, options.file);
  const { edits, changes } = planDependencyEdits(doc, versions);
  return { text: editTomlDocument(doc, edits), edits: changes };
}

/** The edits updatePythonDependencies would make, to combine with others in one editTomlDocument. */
export function planDependencyEdits(
  doc: TomlDocument,
  versions: ReadonlyMap<string, string>,
): { edits: TomlEdit[]; changes: FieldEdit[] } {
  const edits: TomlEdit[] = [];
  const changes: FieldEdit[] = [];
  if (versions.size === 0) return { edits, changes };
  for (const span of doc.filter((candidate) => candidate.quote !== null)) {
    const moved = moveDependency(doc, span, versions);
    if (moved === undefined || moved === span.value) continue;
    edits.push({ path: span.path, value: moved });
    changes.push({ field: formatTomlPath(span.path), from: span.value, to: moved });
  }
  return { edits, changes };
}

/**
 * One PEP 508 requirement string with each version clause moved for `version`, or undefined when the
 * requirement does not name `name` (PEP 503) or is a direct reference.
 */
export function moveRequirement(requirement: string, name: string, version: string): string | undefined {
  const parsed = parseRequirementName(requirement);
  if (!parsed || parsed.name !== normalizePythonName(name)) return undefined;
  return moveSpecifiers(requirement, parsed.end, version);
}

/** A bare specifier set (`>=1.2.0,<2`, as uv.lock's `specifier` holds it) moved for `version`. */
export function moveSpecifierSet(specifiers: string, version: string): string {
  return moveSpecifiers(specifiers, 0, version);
}

function moveDependency(
  doc: TomlDocument,
  span: TomlValueSpan,
  targets: ReadonlyMap<string, string>,
): string | undefined {
  const where = dependencyKind(span.path);
  if (where === undefined) return undefined;
  try {
    if (where === "pep508") {
      const parsed = parseRequirementName(span.value);
      const version = parsed && targets.get(parsed.name);
      return version === undefined ? undefined : moveSpecifiers(span.value, parsed!.end, version);
    }
    const version = targets.get(normalizePythonName(String(span.path[where])));
    return version === undefined ? undefined : movePoetryConstraint(span.value, version);
  } catch (error) {
    if (!(error instanceof UnsatisfiableClause)) throw error;
    throw new PolyglotError(
      `${formatTomlPath(span.path)} "${span.value}": ${error.clause} excludes the new version of the dependency`,
      {
        code: "dependency-specifier-excluded",
        ...(doc.file ? { file: doc.file } : {}),
        line: span.line,
        fix: `change "${error.clause}" by hand so the new version is allowed; nothing was written`,
      },
    );
  }
}

/**
 * `"pep508"` for a requirement string, the index of the dependency name in the path for a Poetry
 * constraint, or undefined for any other string.
 */
function dependencyKind(path: TomlPath): "pep508" | number | undefined {
  const [first, second, third, fourth, fifth, sixth] = path;
  if (first === "project") {
    if (second === "dependencies" && typeof third === "number" && path.length === 3) return "pep508";
    if (second === "optional-dependencies" && typeof fourth === "number" && path.length === 4)
      return "pep508";
    return undefined;
  }
  if (first === "dependency-groups")
    return typeof third === "number" && path.length === 3 ? "pep508" : undefined;
  if (first !== "tool" || second !== "poetry") return undefined;
  if ((third === "dependencies" || third === "dev-dependencies") && isPoetryVersion(path.slice(4))) return 3;
  if (
    third === "group" &&
    fifth === "dependencies" &&
    typeof sixth === "string" &&
    isPoetryVersion(path.slice(6))
  ) {
    return 5;
  }
  return undefined;
}

type TomlPath = TomlValueSpan["path"];

/** `foo = "^1.2"` (nothing after the name) or `foo = { version = "^1.2", ... }`. */
function isPoetryVersion(rest: TomlPath): boolean {
  return rest.length === 0 || (rest.length === 1 && rest[0] === "version");
}

function parseRequirementName(requirement: string): { name: string; end: number } | undefined {
  const match = REQUIREMENT_NAME.exec(requirement);
  if (!match) return undefined;
  const end = match[0].length;
  if (requirement[end] === "@") return undefined;
  return { name: normalizePythonName(match[1]!), end };
}

function moveSpecifiers(requirement: string, from: number, version: string): string {
  const markerStart = requirement.indexOf(";", from);
  const end = markerStart === -1 ? requirement.length : markerStart;
  const specifiers = requirement
    .slice(from, end)
    .replace(CLAUSE, (clause, operator: string, space: string, written: string) => {
      const moved = moveClauseVersion(operator, written, version);
      return moved === undefined ? clause : `${operator}${space}${moved}`;
    });
  return requirement.slice(0, from) + specifiers + requirement.slice(end);
}

/** Poetry constraints: comma-separated clauses; `||` alternatives and `*` are left alone. */
function movePoetryConstraint(constraint: string, version: string): string | undefined {
  if (constraint.includes("||")) return undefined;
  return constraint
    .split(",")
    .map((clause) => {
      const match = POETRY_CLAUSE.exec(clause);
      if (!match) return clause;
      const [, before, operator = "", space, written, after] = match;
      const pep440Operator = operator === "^" || operator === "~" ? ">=" : operator === "" ? "==" : operator;
      const moved = moveClauseVersion(pep440Operator, written!, version);
      return moved === undefined ? clause : `${before}${operator}${space}${moved}${after}`;
    })
    .join(",");
}
