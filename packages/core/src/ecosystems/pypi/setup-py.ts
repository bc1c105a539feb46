import type { EditOptions, EditResult } from "../../edit/types.js";
import { PolyglotError } from "../../errors.js";
import { assertCanonicalPep440 } from "./pyproject.js";

/** A keyword argument of the `setup(...)` call: a plain string literal, or some other expression. */
export type SetupPyKeyword =
  | { kind: "literal"; value: string; line: number; start: number; end: number }
  | { kind: "expression"; text: string; line: number };

export interface SetupPyInfo {
  /** `name=` of the `setup()` call. */
  name?: SetupPyKeyword;
  /** `version=` of the `setup()` call. */
  version?: SetupPyKeyword;
  /** A `setup(` call was found. */
  hasSetupCall: boolean;
}

interface Token {
  kind: "name" | "string" | "op";
  text: string;
  start: number;
  end: number;
  /** Strings: the prefix (`r`, `f`, ...) and the offsets of the content inside the quotes. */
  prefix?: string;
  contentStart?: number;
  contentEnd?: number;
}

const STRING_PREFIX = /^(?:[rRuUbBfF]|[rR][bBfF]|[bBfF][rR])$/;

/**
 * Reads the `name=` and `version=` keywords of the first `setup(...)` call (`setup(` or
 * `setuptools.setup(`) of a setup.py, without running it: strings, comments and nested brackets are skipped
 * as Python's tokenizer does.
 */
export function readSetupPyInfo(text: string): SetupPyInfo {
  const tokens = tokenize(text);
  const call = tokens.findIndex(
    (token, index) =>
      token.kind === "name" &&
      token.text === "setup" &&
      tokens[index + 1]?.text === "(" &&
      tokens[index - 1]?.text !== "def",
  );
  if (call === -1) return { hasSetupCall: false };
  const info: SetupPyInfo = { hasSetupCall: true };
  for (const argument of topLevelArguments(tokens, call + 2)) {
    const [keyword, equals, ...value] = argument;
    if (keyword?.kind !== "name" || equals?.text !== "=" || value.length === 0) continue;
    if (keyword.text !== "name" && keyword.text !== "version") continue;
    info[keyword.text] = keywordValue(text, value);
  }
  return info;
}

/**
 * Sets the literal `version="..."` keyword of the `setup()` call to `version` (canonical PEP 440), keeping
 * its quotes and every other byte. A version computed by code (a variable, a function call) is a
 * PolyglotError: setup.py is not run, so the file the value comes from must be named in "versionFiles".
 */
export function updateSetupPy(text: string, version: string, options: EditOptions = {}): EditResult {
  assertCanonicalPep440(version, options);
  const found = readSetupPyInfo(text).version;
  if (found?.kind !== "literal") throw notLiteral(found, options);
  if (found.value === version) return { text, edits: [] };
  const updated = text.slice(0, found.start) + version + text.slice(found.end);
  const readBack = readSetupPyInfo(updated).version;
  if (readBack?.kind !== "literal" || readBack.value !== version)
    throw new Error("internal: the setup.py edit does not read back as the new version");
  return { text: updated, edits: [{ field: "setup().version", from: found.value, to: version }] };
}

/** Why a setup.py version cannot be written, with the fix (never `[project]`: setuptools would then want `[project].version`). */
export function notLiteral(found: SetupPyKeyword | undefined, options: EditOptions = {}): PolyglotError {
  const what =
    found === undefined
      ? "the setup() call of setup.py has no version= keyword"
      : `setup.py computes its version (version=${found.kind === "expression" ? found.text : ""}), and the sync does not run setup.py`;
  return new PolyglotError(what, {
    code: "setuptools-version-not-writable",
    ...(options.file ? { file: options.file } : {}),
    ...(found ? { line: found.line } : {}),
    setting: "setup().version",
    fix: 'list the file the version comes from (e.g. <package>/version.py with __version__ = "...") in "versionFiles" of a target { "path", "versionFrom", "versionFiles" } in .changeset/polyglot.json, or write version="0.0.0" in setup(), or version = 0.0.0 under [metadata] in setup.cfg',
  });
}

function keywordValue(text: string, value: Token[]): SetupPyKeyword {
  const first = value[0]!;
  const line = lineAt(text, first.start);
  if (value.length === 1 && isPlainString(first)) {
    const start = first.contentStart!;
    const end = first.contentEnd!;
    const content = text.slice(start, end);
    if (!/[\\\r\n]/.test(content)) return { kind: "literal", value: content, line, start, end };
  }
  return { kind: "expression", text: text.slice(first.start, value.at(-1)!.end).replace(/\s+/g, " "), line };
}

/** A one-line string whose content is its value: no f-string, no bytes, no triple quotes. */
function isPlainString(token: Token): boolean {
  if (token.kind !== "string" || /[fFbB]/.test(token.prefix ?? "")) return false;
  const quoted = token.text.slice(token.prefix?.length ?? 0);
  return !quoted.startsWith('"""') && !quoted.startsWith("'''");
}

/** The tokens of each argument of the call whose `(` is just before `from`, up to its `)`. */
function topLevelArguments(tokens: Token[], from: number): Token[][] {
  const argumentsFound: Token[][] = [[]];
  let depth = 0;
  for (let index = from; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (token.kind === "op" && "([{".includes(token.text)) depth++;
    if (token.kind === "op" && ")]}".includes(token.text)) {
      if (depth === 0) break;
      depth--;
    }
    if (depth === 0 && token.text === ",") argumentsFound.push([]);
    else argumentsFound.at(-1)!.push(token);
  }
  return argumentsFound.filter((argument) => argument.length > 0);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (char === "#") {
      const newline = text.indexOf("\n", index);
      index = newline === -1 ? text.length : newline;
    } else if (/\s|\\/.test(char)) {
      index++;
    } else if (/[A-Za-z_]/.test(char)) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(index, index + 256))![0];
      const quote = text[index + name.length];
      if ((quote === '"' || quote === "'") && STRING_PREFIX.test(name)) {
        const token = stringAt(text, index, name);
        tokens.push(token);
        index = token.end;
      } else {
        tokens.push({ kind: "name", text: name, start: index, end: index + name.length });
        index += name.length;
      }
    } else if (char === '"' || char === "'") {
      const token = stringAt(text, index, "");
      tokens.push(token);
      index = token.end;
    } else {
      tokens.push({ kind: "op", text: char, start: index, end: index + 1 });
      index++;
    }
  }
  return tokens;
}

/** The string token starting at `start` (its prefix included); an unclosed string runs to the end. */
function stringAt(text: string, start: number, prefix: string): Token {
  const open = start + prefix.length;
  const quote = text[open]!;
  const triple = text.startsWith(quote.repeat(3), open);
  const delimiter = triple ? quote.repeat(3) : quote;
  const contentStart = open + delimiter.length;
  let index = contentStart;
  while (index < text.length && !text.startsWith(delimiter, index)) {
    if (!triple && text[index] === "\n") break;
    index += text[index] === "\\" ? 2 : 1;
  }
  const contentEnd = Math.min(index, text.length);
  const end = Math.min(contentEnd + delimiter.length, text.length);
  return { kind: "string", text: text.slice(start, end), start, end, prefix, contentStart, contentEnd };
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let index = text.indexOf("\n"); index !== -1 && index < offset; index = text.indexOf("\n", index + 1))
    line++;
  return line;
}
