import { valid as validPep440 } from "@renovatebot/pep440";
import { valid as validSemver } from "semver";

const MAX_VERSION_LENGTH = 128;

/** A semver or PEP 440 version (what a version field may hold and what is safe to print). */
export function isVersionText(text: string): boolean {
  if (text.length === 0 || text.length > MAX_VERSION_LENGTH) return false;
  return validSemver(text) === text || validPep440(text) !== null;
}

/**
 * What a text read where a version belongs is, without printing it (it may be anything the file held):
 * `not a version: 3 lines, 1,024 bytes`.
 */
export function describeNonVersion(text: string): string {
  const lines = text === "" ? 0 : text.split("\n").length;
  const bytes = Buffer.byteLength(text, "utf8");
  const count = (n: number, unit: string) => `${n.toLocaleString("en-US")} ${unit}${n === 1 ? "" : "s"}`;
  return `not a version: ${count(lines, "line")}, ${count(bytes, "byte")}`;
}

/** `text` when it is a version, else its description in parentheses. */
export function shownVersion(text: string): string {
  return isVersionText(text) ? text : `(${describeNonVersion(text)})`;
}

// Dependency specifiers and requirements (`>=1.2,<2`, `acme[cli]>=1; python_version < "3.9"`): one short line.
const PRINTABLE_VALUE = /^[\x20-\x7e]{0,200}$/;

/** An edited value as messages may print it: a version field strictly, other values when one short line. */
export function shownValue(field: string, text: string): string {
  if (text === "") return text;
  const isVersionField = /(?:^|[.\]])version$|^[A-Za-z_][A-Za-z0-9_]*$/.test(field);
  if (isVersionField) return shownVersion(text);
  return PRINTABLE_VALUE.test(text) && !text.startsWith("::") ? text : `(${describeNonVersion(text)})`;
}
