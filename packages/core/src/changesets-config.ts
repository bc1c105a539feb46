import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { validateConfig } from "@changesets/config";
import type { Config, Packages } from "@changesets/types";
import type { Packages as ManypkgPackages } from "@manypkg/get-packages";
import * as jsonc from "jsonc-parser";
import { PolyglotError } from "./errors.js";
import { describeUntrusted } from "./names.js";
import { RepoFiles } from "./repo-files.js";

const CONFIG_JSON = ".changeset/config.json";
const PRE_JSON = ".changeset/pre.json";

/**
 * `.changeset/config.json` as Changesets reads it (`@changesets/config`: its defaults, `ignore` globs expanded to
 * package names, its checks), with a missing, unparsable or invalid file named and its fix given.
 */
export function readChangesetsConfig(root: string, packages: ManypkgPackages): Config {
  const text = new RepoFiles(root).read(CONFIG_JSON);
  if (text === undefined) {
    throw new PolyglotError("no .changeset/config.json", {
      code: "changesets-config-invalid",
      file: CONFIG_JSON,
      fix: "run `changeset init` first",
    });
  }
  const json = parseJson(text, CONFIG_JSON, "fix the JSON syntax");
  // @changesets/types declares its own copy of manypkg's Packages shape.
  const result = validateConfig(json, packages as unknown as Packages);
  if (result.config === undefined) {
    throw new PolyglotError(`invalid configuration: ${result.errors.join("; ")}`, {
      code: "changesets-config-invalid",
      file: CONFIG_JSON,
      fix: "fix .changeset/config.json as the message says (`changeset status` runs the same checks)",
    });
  }
  return result.config;
}

/**
 * Runs `read` on a `.changeset/` that reading cannot change: @changesets/pre migrates a Changesets 2 pre.json
 * (`initialVersions`, `changesets`) in place when it reads one, so `read` then gets a scratch copy of the folder
 * (the real `changeset version` migrates it for real). `read` receives the root to read from.
 */
export async function readChangesetFolder<T>(root: string, read: (root: string) => Promise<T>): Promise<T> {
  if (!preStateNeedsMigration(root)) return read(root);
  const scratch = await mkdtemp(path.join(tmpdir(), "polyglot-changesets-"));
  try {
    await cp(path.join(root, ".changeset"), path.join(scratch, ".changeset"), { recursive: true });
    return await read(scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Whether pre.json is in Changesets 2's shape, which @changesets/pre migrates in place when it reads it. Invalid
 * JSON is named here, before @changesets/pre prints the file's text. The migration renames
 * `.changeset/<id>.md` to `.changeset/pre/<id>.md` for each id the file lists: an id that is not a plain name
 * (`../../x`) would move a file from outside the repo, so it is refused.
 */
export function preStateNeedsMigration(root: string): boolean {
  const text = new RepoFiles(root).read(PRE_JSON);
  if (text === undefined) return false;
  const fix = "repair .changeset/pre.json, or delete it and run `changeset pre enter <tag>` again";
  const state = parseJson(text, PRE_JSON, fix);
  if (typeof state !== "object" || state === null) return false;
  const ids = (state as { changesets?: unknown }).changesets;
  if (Array.isArray(ids)) {
    const unsafe = ids.find((id) => typeof id !== "string" || !CHANGESET_ID.test(id));
    if (unsafe !== undefined) {
      throw new PolyglotError(
        `changesets lists ${describeId(unsafe)}, which is not a changeset name (Changesets would move a file by it)`,
        { code: "changesets-config-invalid", file: PRE_JSON, setting: "changesets", fix },
      );
    }
  }
  return "initialVersions" in state || "changesets" in state;
}

/** A changeset's name: its file name without `.md` (`brave-lions-dance`), no folder, not `.` or `..`. */
const CHANGESET_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** A refused id shown as written when it is short, printable and holds no `::`, else described. */
function describeId(id: unknown): string {
  return typeof id === "string" && /^[\x20-\x7e]{1,80}$/.test(id) && !id.includes("::")
    ? JSON.stringify(id)
    : describeUntrusted(id);
}

/** Strict JSON; an error names the line, never the text (a file can hold anything). */
function parseJson(text: string, file: string, fix: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const errors: jsonc.ParseError[] = [];
    jsonc.parse(text, errors, { allowTrailingComma: false, disallowComments: true });
    const offset = errors[0]?.offset ?? 0;
    const line = text.slice(0, offset).split("\n").length;
    throw new PolyglotError(
      `invalid JSON (${errors[0] ? jsonc.printParseErrorCode(errors[0].error) : "syntax"})`,
      {
        code: "changesets-config-invalid",
        file,
        line,
        fix,
      },
    );
  }
}
