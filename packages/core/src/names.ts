import { valid as validSemver } from "semver";
import validateNpmPackageName from "validate-npm-package-name";
import { PolyglotError } from "./errors.js";

/**
 * Names and versions read from manifests are untrusted: a merged pull request can put a newline and a workflow
 * command into `[project].name`. Each is checked where it enters the workspace model, before any output
 * carries it, and a refused value is described, never echoed.
 */

/** PEP 508 / core metadata: ASCII letters and digits, with `.`, `_`, `-` inside. */
const PYTHON_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;

/** Cargo's rule for a package name (crates.io also caps it at 64 characters). */
const CRATE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

export type NameKind = "npm" | "python" | "crate";

export function isValidName(kind: NameKind, name: string): boolean {
  if (kind === "python") return PYTHON_NAME.test(name);
  if (kind === "crate") return CRATE_NAME.test(name);
  return validateNpmPackageName(name).validForOldPackages;
}

/** What a refused value is, without repeating it: `"a string of 31 characters with a line break"`. */
export function describeUntrusted(value: unknown): string {
  if (typeof value !== "string") return value === null ? "null" : `a ${typeof value}`;
  const traits = [
    /[\r\n]/.test(value) ? "a line break" : "",
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value) ? "control characters" : "",
    /(^|[\r\n])\s*::|##\[/.test(value) ? "a workflow command" : "",
    value.trim() === "" ? "only white space" : "",
  ].filter(Boolean);
  const lines = value.split(/\r\n|\r|\n/).length;
  const size = lines > 1 ? `${lines} lines, ${value.length} characters` : `${value.length} characters`;
  return `a string of ${size}${traits.length > 0 ? ` with ${traits.join(" and ")}` : ""}`;
}

const NAME_RULES: Record<NameKind, string> = {
  npm: "an npm package name (lower case, URL-safe, at most 214 characters)",
  python: "a PEP 508 project name (letters, digits, and `.`, `_`, `-` inside)",
  crate: "a crate name (an ASCII letter, then letters, digits, `_` or `-`, at most 64 characters)",
};

/** `name` itself when it is a valid name of its kind; otherwise an error naming the file and setting. */
export function requireValidName(
  kind: NameKind,
  name: string,
  where: { file: string; setting: string },
): string {
  if (isValidName(kind, name)) return name;
  throw new PolyglotError(`${where.setting} is not ${NAME_RULES[kind]}: it is ${describeUntrusted(name)}`, {
    code: "invalid-name",
    file: where.file,
    setting: where.setting,
    fix: `set ${where.setting} in ${where.file} to ${NAME_RULES[kind]}`,
  });
}

/** `version` when it is a semver version (what package.json must hold); otherwise an error naming the file. */
export function requireSemver(version: string, where: { file: string; setting: string }): string {
  if (validSemver(version) === version) return version;
  throw new PolyglotError(`${where.setting} is not a semver version: it is ${describeUntrusted(version)}`, {
    code: "invalid-semver",
    file: where.file,
    setting: where.setting,
    fix: `set ${where.setting} in ${where.file} to a version such as "1.2.3"`,
  });
}
