import path from "node:path";
import { PolyglotError } from "../../errors.js";
import type { RepoFiles } from "../../repo-files.js";
import { type PyprojectInfo, type PyprojectVersionSource, readPyprojectInfo } from "./pyproject.js";

export const PYPROJECT = "pyproject.toml";

/** What discovery and planning need to know about one pyproject.toml; invalid TOML names file and line. */
export function inspectPyproject(text: string, relativeFile: string): PyprojectInfo {
  return readPyprojectInfo(text, { file: relativeFile });
}

/** Where a target's dynamic version is written: files holding it, or the Cargo.toml maturin reads. */
export interface ResolvedVersionSource {
  versionFiles: string[];
  cargoManifest?: string;
}

/**
 * The absolute paths of the file a dynamic version is read from (hatch / pdm `path`, setuptools `attr` or
 * `file`, flit's module), or the Cargo.toml of a maturin project. A source that names a file that does not
 * exist is an error naming the pyproject setting, unless the target lists its own `versionFiles`; one that
 * leads outside the repo (`..`, an absolute path, a symlink) or to anything but a regular file is refused.
 */
export function resolveDynamicVersionSource(
  dir: string,
  source: PyprojectVersionSource | undefined,
  relativeFile: string,
  hasConfiguredFiles: boolean,
  repo: RepoFiles,
): ResolvedVersionSource {
  if (!source?.writable || source.kind === "poetry") return { versionFiles: [] };
  const origin = { setting: source.setting, file: relativeFile };
  const candidates = source.paths.map((file) => path.resolve(dir, file));
  const exists = candidates.map((file) => repo.resolve(file, origin).stats !== undefined);
  if (source.format === "cargo") return { versionFiles: [], cargoManifest: candidates[0]! };
  const found = candidates.find((_, index) => exists[index]);
  if (found) return { versionFiles: [found] };
  if (hasConfiguredFiles) return { versionFiles: [] };
  throw missingSourceFile(source, relativeFile);
}

function missingSourceFile(source: PyprojectVersionSource, relativeFile: string): PolyglotError {
  const candidates = source.paths.join(", ");
  const create =
    source.format === "plain"
      ? "holding only the version"
      : `with a ${source.variable ?? "__version__"} = "..." line`;
  return new PolyglotError(`${source.setting} points at ${candidates || "no file"}, which does not exist`, {
    code: "version-file-missing",
    file: relativeFile,
    setting: source.setting,
    fix: `create ${source.paths[0] ?? "the file"} ${create}, correct ${source.setting}, or list the file in "versionFiles" of this target in .changeset/polyglot.json`,
  });
}

/** How the sync writes a version file: configured files and most sources are `__version__ = "..."` lines. */
export function versionFileFormat(
  file: string,
  dir: string,
  source: PyprojectVersionSource | undefined,
): { format: "assignment" | "plain"; variable: string } {
  const fromSource = source?.paths.some((candidate) => path.resolve(dir, candidate) === file);
  if (source && fromSource && source.format === "plain") return { format: "plain", variable: "__version__" };
  return { format: "assignment", variable: (fromSource && source?.variable) || "__version__" };
}
