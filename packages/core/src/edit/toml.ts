import { parse, TomlError, type TomlTable } from "smol-toml";
import { PolyglotError } from "../errors.js";
import { scanTomlValues, type TomlPath, type TomlQuote, type TomlValueSpan } from "./toml-scan.js";

export { scanTomlValues, type TomlPath, type TomlQuote, type TomlValueSpan } from "./toml-scan.js";

/** A TOML text with its meaning (smol-toml) and the span of every scalar value (our scanner), made once. */
export interface TomlDocument {
  readonly text: string;
  readonly data: TomlTable;
  /** Repo-relative file name for errors, when the caller gave one. */
  readonly file: string | undefined;
  find(path: TomlPath): TomlValueSpan | undefined;
  filter(predicate: (span: TomlValueSpan) => boolean): TomlValueSpan[];
}

/** Set the string at `path` to `value`. */
export interface TomlEdit {
  path: TomlPath;
  value: string;
}

/** Parses `text` once with smol-toml and scans it once for value spans; invalid TOML names file and line. */
export function parseTomlDocument(text: string, file?: string): TomlDocument {
  const data = parseToml(text, file);
  const spans = withFile(file, () => scanTomlValues(text));
  let byPath: Map<string, TomlValueSpan> | undefined;
  return {
    text,
    data,
    file,
    find(path) {
      byPath ??= new Map(spans.map((span) => [pathKey(span.path), span]));
      return byPath.get(pathKey(path));
    },
    filter: (predicate) => spans.filter(predicate),
  };
}

/** The span of the scalar at `path` (e.g. `["project", "version"]`), or undefined when there is none. */
export function findTomlValue(text: string, path: TomlPath): TomlValueSpan | undefined {
  const key = pathKey(path);
  return scanTomlValues(text).find((span) => pathKey(span.path) === key);
}

/** Every scalar span the predicate accepts, e.g. all `["package", n, "version"]` of a lock file. */
export function findTomlValues(text: string, predicate: (span: TomlValueSpan) => boolean): TomlValueSpan[] {
  return scanTomlValues(text).filter(predicate);
}

/** Replaces one string value; see {@link editTomlDocument} for the guarantees. */
export function replaceTomlValue(text: string, path: TomlPath, value: string, file?: string): string {
  return editTomlDocument(parseTomlDocument(text, file), [{ path, value }]);
}

/** Replaces several string values at once (one parse before, one after). */
export function replaceTomlValues(text: string, edits: readonly TomlEdit[], file?: string): string {
  return editTomlDocument(parseTomlDocument(text, file), edits);
}

/**
 * Writes each edit by splicing only the inner bytes of the string value, in its own quote style (basic strings
 * are escaped as needed; a value a literal string cannot hold is refused). Then it parses the result and
 * checks that the document means exactly what it meant before except for the edited values, which must read
 * back as given; anything else throws, so a wrong location can never be written.
 * Where the old string used escapes, its whole inner text is rewritten in the plain escaped form.
 */
export function editTomlDocument(doc: TomlDocument, edits: readonly TomlEdit[]): string {
  const located = edits.map((edit) => locate(doc, edit)).sort((a, b) => a.span.start - b.span.start);
  if (located.length === 0) return doc.text;
  assertNoOverlap(doc, located);
  let result = "";
  let from = 0;
  for (const { span, value } of located) {
    result += doc.text.slice(from, span.start) + encodeInner(doc, span, value);
    from = span.end;
  }
  result += doc.text.slice(from);
  verify(doc, result, located);
  return result;
}

/** The value at `path` of parsed TOML data, or undefined. */
export function tomlValueAt(data: unknown, path: TomlPath): unknown {
  let current: unknown = data;
  for (const key of path) {
    if (typeof current !== "object" || current === null || current instanceof Date) return undefined;
    if (!Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** `a.b[2].c`: how edits name a field. */
export function formatTomlPath(path: TomlPath): string {
  return path
    .map((key, index) => {
      if (typeof key === "number") return `[${key}]`;
      const name = /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
      return index === 0 ? name : `.${name}`;
    })
    .join("");
}

interface LocatedEdit {
  span: TomlValueSpan;
  value: string;
}

function locate(doc: TomlDocument, edit: TomlEdit): LocatedEdit {
  const span = doc.find(edit.path);
  const field = formatTomlPath(edit.path);
  if (!span) throw editError(doc, `${field} is not a value in this document`);
  if (span.quote === null) {
    throw editError(
      doc,
      `${field} is not a string`,
      span.line,
      `write it as a string, e.g. ${field} = "1.2.0"`,
    );
  }
  // The scanner and smol-toml must agree on what is at this path before a byte is written.
  if (tomlValueAt(doc.data, edit.path) !== span.value) {
    throw editError(doc, `could not locate ${field} unambiguously`, span.line);
  }
  return { span, value: edit.value };
}

function assertNoOverlap(doc: TomlDocument, located: LocatedEdit[]): void {
  for (let index = 1; index < located.length; index++) {
    const [previous, current] = [located[index - 1]!.span, located[index]!.span];
    if (current.start < previous.end || current.start === previous.start) {
      throw editError(doc, `${formatTomlPath(located[index]!.span.path)} is edited twice`);
    }
  }
}

function encodeInner(doc: TomlDocument, span: TomlValueSpan, value: string): string {
  const quote = span.quote as TomlQuote;
  if (quote === '"' || quote === '"""') return escapeBasic(value);
  if (!fitsLiteral(value, quote === "'''")) {
    throw editError(
      doc,
      `${JSON.stringify(value)} cannot be written into the literal string at ${formatTomlPath(span.path)}`,
      span.line,
      "write the value in double quotes so it can be escaped",
    );
  }
  return value;
}

function escapeBasic(value: string): string {
  let escaped = "";
  for (const char of value) {
    const code = char.charCodeAt(0);
    const short = BASIC_ESCAPES[char];
    if (short !== undefined) escaped += short;
    else if (isControl(code)) escaped += `\\u${code.toString(16).padStart(4, "0")}`;
    else escaped += char;
  }
  return escaped;
}

/** U+0000-U+001F and U+007F, which TOML strings may not hold raw (tab aside). */
function isControl(code: number): boolean {
  return code <= 0x1f || code === 0x7f;
}

function hasControl(value: string, allowed: string): boolean {
  for (const char of value) if (isControl(char.charCodeAt(0)) && !allowed.includes(char)) return true;
  return false;
}

const BASIC_ESCAPES: Readonly<Record<string, string>> = {
  "\\": "\\\\",
  '"': '\\"',
  "\b": "\\b",
  "\t": "\\t",
  "\n": "\\n",
  "\f": "\\f",
  "\r": "\\r",
};

function fitsLiteral(value: string, multiLine: boolean): boolean {
  if (multiLine)
    return (
      !value.includes("'''") && !value.endsWith("'") && !hasControl(value, "\t\n") && !value.startsWith("\n")
    );
  return !value.includes("'") && !hasControl(value, "\t");
}

function verify(doc: TomlDocument, result: string, located: LocatedEdit[]): void {
  const after = parseToml(result, doc.file);
  const edited = new Set(located.map(({ span }) => pathKey(span.path)));
  for (const { span, value } of located) {
    if (tomlValueAt(after, span.path) !== value) {
      throw editError(
        doc,
        `${formatTomlPath(span.path)} did not read back as ${JSON.stringify(value)}`,
        span.line,
      );
    }
  }
  const difference = firstDifference(doc.data, after, [], "", edited);
  if (difference) throw editError(doc, `the edit would also change ${formatTomlPath(difference)}`);
}

/**
 * The first path where two parsed documents differ, ignoring the edited paths. `key` is the pathKey of `path`
 * so far, extended without building arrays: this runs over the whole document on every edit.
 */
function firstDifference(
  before: unknown,
  after: unknown,
  path: readonly (string | number)[],
  key: string,
  ignored: ReadonlySet<string>,
): TomlPath | undefined {
  if (path.length > 0 && ignored.has(key)) return undefined;
  if (Array.isArray(before) || Array.isArray(after)) {
    if (!Array.isArray(before) || !Array.isArray(after) || before.length !== after.length) return path;
    for (let index = 0; index < before.length; index++) {
      if (before[index] === after[index] && typeof before[index] !== "object") continue;
      const found = firstDifference(
        before[index],
        after[index],
        [...path, index],
        childKey(key, index),
        ignored,
      );
      if (found) return found;
    }
    return undefined;
  }
  if (before instanceof Date || after instanceof Date) return sameDate(before, after) ? undefined : path;
  if (isTable(before) || isTable(after)) return tableDifference(before, after, path, key, ignored);
  return Object.is(before, after) ? undefined : path;
}

function tableDifference(
  before: unknown,
  after: unknown,
  path: readonly (string | number)[],
  key: string,
  ignored: ReadonlySet<string>,
): TomlPath | undefined {
  if (!isTable(before) || !isTable(after)) return path;
  const keys = Object.keys(before);
  if (keys.length !== Object.keys(after).length) return path;
  for (const name of keys) {
    if (!Object.hasOwn(after, name)) return [...path, name];
    const left = before[name];
    const right = after[name];
    if (left === right && typeof left !== "object") continue;
    const found = firstDifference(left, right, [...path, name], childKey(key, name), ignored);
    if (found) return found;
  }
  return undefined;
}

function sameDate(before: unknown, after: unknown): boolean {
  return before instanceof Date && after instanceof Date && String(before) === String(after);
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function parseToml(text: string, file: string | undefined): TomlTable {
  try {
    // Integers above 2^53 are valid TOML: kept as BigInt (the edits are byte-exact and never rewrite them).
    return parse(text, { integersAsBigInt: "asNeeded" });
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const problem = error.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
    throw new PolyglotError(`invalid TOML: ${problem}`, {
      code: "invalid-toml",
      ...(file ? { file } : {}),
      line: error.line,
      fix: `fix the TOML syntax at line ${error.line}; nothing was written`,
    });
  }
}

function withFile<T>(file: string | undefined, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof PolyglotError) || !file || error.file) throw error;
    throw new PolyglotError(error.message, {
      code: error.code,
      exitCode: error.exitCode,
      file,
      ...(error.line ? { line: error.line } : {}),
      ...(error.fix ? { fix: error.fix } : {}),
    });
  }
}

function editError(doc: TomlDocument, problem: string, line?: number, fix?: string): PolyglotError {
  return new PolyglotError(`cannot edit TOML safely: ${problem}`, {
    code: "unsafe-toml-edit",
    ...(doc.file ? { file: doc.file } : {}),
    ...(line ? { line } : {}),
    fix: fix ?? "nothing was written; please report this file to Polyglot Changesets if it is valid TOML",
  });
}

/** A Map key for a path: keys and indexes are told apart, and no key can contain the separator. */
function pathKey(path: TomlPath): string {
  let key = "";
  for (const part of path) key = childKey(key, part);
  return key;
}

function childKey(key: string, part: string | number): string {
  return typeof part === "number"
    ? `${key}\u0000#${part}`
    : `${key}\u0000.${part.replaceAll("\u0000", "\u0000\u0000")}`;
}
