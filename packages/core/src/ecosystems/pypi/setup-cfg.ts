import type { EditOptions, EditResult } from "../../edit/types.js";
import { PolyglotError } from "../../errors.js";
import { assertCanonicalPep440 } from "./pyproject.js";

/**
 * One `key = value` (or `key: value`) of a setup.cfg, read as Python's configparser reads it (the way
 * setuptools does): keys are case-insensitive, only whole lines starting with `#` or `;` are comments (a `#`
 * after a value is part of it), and indented lines after a key continue its value.
 */
export interface IniEntry {
  section: string;
  /** Lower-cased, as configparser's optionxform does. */
  key: string;
  /** The value with its continuation lines, trimmed (lines joined with `\n`). */
  value: string;
  /** Offsets of the value's first line in the text, trimmed (the bytes an edit of a one-line value replaces). */
  start: number;
  end: number;
  /** 1-based line of the key. */
  line: number;
  /** The value goes on over indented continuation lines. */
  multiline: boolean;
}

const SECTION = /^\[([^\]]+)\]/;
const KEY_VALUE = /^[ \t]*([^=:\s][^=:]*?)[ \t]*[=:][ \t]*(.*?)[ \t]*$/;

/** Every key of every section, in file order. A `key` with no `=` or `:` is a PolyglotError naming its line. */
export function parseSetupCfg(text: string, options: EditOptions = {}): IniEntry[] {
  const entries: IniEntry[] = [];
  let section: string | undefined;
  let current: IniEntry | undefined;
  /** Indentation of the current key: deeper lines continue its value (configparser's rule). */
  let keyIndent = 0;
  let offset = text.startsWith("\uFEFF") ? 1 : 0;
  const lines = text.slice(offset).split("\n");
  lines.forEach((raw, index) => {
    const lineStart = offset;
    offset += raw.length + 1;
    const line = raw.replace(/\r$/, "");
    const trimmed = line.trim();
    if (trimmed === "" || /^[#;]/.test(trimmed)) return;
    const indent = line.length - line.trimStart().length;
    if (current && indent > keyIndent) {
      current.value = `${current.value}\n${trimmed}`.trim();
      current.multiline = true;
      return;
    }
    const header = SECTION.exec(line);
    if (header) {
      section = header[1]!.trim();
      current = undefined;
      return;
    }
    const pair = KEY_VALUE.exec(line);
    if (!pair || section === undefined) throw notIni(index + 1, section, options);
    const keyEnd = line.indexOf(pair[1]!) + pair[1]!.length;
    const valueStart = lineStart + line.length - line.slice(keyEnd).replace(/^[ \t]*[=:][ \t]*/, "").length;
    keyIndent = indent;
    current = {
      section,
      key: pair[1]!.trim().toLowerCase(),
      value: pair[2]!,
      start: valueStart,
      end: valueStart + pair[2]!.length,
      line: index + 1,
      multiline: false,
    };
    entries.push(current);
  });
  return entries;
}

/** Where a setup.cfg says the version is: written there, read from a module attribute, or from files. */
export type SetupCfgVersion =
  | { kind: "literal"; value: string; line: number }
  | { kind: "attr"; module: string; variable: string; line: number }
  | { kind: "file"; paths: string[]; line: number };

export interface SetupCfgInfo {
  /** `[metadata] name`. */
  name?: string;
  /** `[metadata] version`. */
  version?: SetupCfgVersion;
  /** `[options] package_dir` for the root package (`=src`), where `attr:` modules are looked for. */
  packageRoot?: string;
}

/** The name, version and package folder a setup.cfg declares (see `parseSetupCfg` for the syntax). */
export function readSetupCfgInfo(text: string, options: EditOptions = {}): SetupCfgInfo {
  const entries = parseSetupCfg(text, options);
  const find = (section: string, key: string) =>
    entries.filter((entry) => entry.section === section && entry.key === key).at(-1);
  const info: SetupCfgInfo = {};
  const name = find("metadata", "name");
  if (name?.value) info.name = name.value;
  const version = find("metadata", "version");
  if (version?.value) info.version = versionOf(version, options);
  const packageRoot = rootPackageDir(find("options", "package_dir")?.value);
  if (packageRoot !== undefined) info.packageRoot = packageRoot;
  return info;
}

function versionOf(entry: IniEntry, options: EditOptions): SetupCfgVersion {
  const directive = /^(attr|file):\s*(.*)$/s.exec(entry.value);
  if (directive?.[1] === "file") {
    const paths = directive[2]!.split(/[,\n]/).map((file) => file.trim());
    return { kind: "file", paths: paths.filter(Boolean), line: entry.line };
  }
  if (directive?.[1] === "attr") {
    const parts = directive[2]!.trim().split(".");
    const variable = parts.pop()!;
    return { kind: "attr", module: parts.join("."), variable, line: entry.line };
  }
  if (entry.multiline) {
    throw new PolyglotError("[metadata] version spans several lines", {
      code: "setup-cfg-invalid",
      ...(options.file ? { file: options.file } : {}),
      line: entry.line,
      setting: "metadata.version",
      fix: "write the version on the version line itself: version = 1.2.0",
    });
  }
  return { kind: "literal", value: entry.value, line: entry.line };
}

/** `package_dir = =src` (or a continuation line `=src`): the folder of the root package. */
function rootPackageDir(value: string | undefined): string | undefined {
  const root = value
    ?.split("\n")
    .map((mapping) => /^\s*=\s*(\S+)\s*$/.exec(mapping)?.[1])
    .find(Boolean);
  return root;
}

/**
 * Sets the literal `[metadata] version` of a setup.cfg to `version` (canonical PEP 440), changing only the
 * version's bytes (comments, key spelling, `=` or `:`, CRLF and BOM stay). A setup.cfg without a literal
 * version (none, or `attr:` / `file:`) is a PolyglotError: those are written where they point.
 */
export function updateSetupCfg(text: string, version: string, options: EditOptions = {}): EditResult {
  assertCanonicalPep440(version, options);
  const entries = parseSetupCfg(text, options);
  const entry = entries.filter((found) => found.section === "metadata" && found.key === "version").at(-1);
  if (!entry || /^(attr|file):/.test(entry.value) || entry.multiline) {
    throw new PolyglotError("setup.cfg has no literal [metadata] version to write", {
      code: "setuptools-version-not-writable",
      ...(options.file ? { file: options.file } : {}),
      setting: "metadata.version",
      fix: "write version = 0.0.0 under [metadata], or write the file its attr: / file: names",
    });
  }
  if (entry.value === version) return { text, edits: [] };
  const updated = text.slice(0, entry.start) + version + text.slice(entry.end);
  assertOnlyVersionChanged(entries, parseSetupCfg(updated, options), entry, version);
  return { text: updated, edits: [{ field: "metadata.version", from: entry.value, to: version }] };
}

/** Safety net: the edited file reads back with the new version and every other value as it was. */
function assertOnlyVersionChanged(
  before: IniEntry[],
  after: IniEntry[],
  edited: IniEntry,
  version: string,
): void {
  const same =
    before.length === after.length &&
    before.every((entry, index) => {
      const now = after[index]!;
      const expected = entry === edited ? version : entry.value;
      return now.section === entry.section && now.key === entry.key && now.value === expected;
    });
  if (!same) throw new Error("internal: the setup.cfg edit changed more than [metadata] version");
}

function notIni(line: number, section: string | undefined, options: EditOptions): PolyglotError {
  return new PolyglotError(
    section === undefined
      ? "setup.cfg has a setting before any [section]"
      : `setup.cfg line ${line} is not key = value`,
    {
      code: "setup-cfg-invalid",
      ...(options.file ? { file: options.file } : {}),
      line,
      fix: "make setup.cfg valid for Python's configparser: [section] headers, then key = value lines",
    },
  );
}
