import path from "node:path";
import { POLYGLOT_CONFIG_FILE } from "../config.js";
import type { PyprojectInfo } from "../edit/pyproject.js";
import { updatePyproject } from "../edit/pyproject.js";
import { updateUvLock } from "../edit/uv-lock.js";
import { updatePlainVersionFile, updateVersionFile } from "../edit/version-file.js";
import { PolyglotError } from "../errors.js";
import { normalizePythonName, toPep440 } from "../pep440.js";
import { shownVersion } from "../version-text.js";
import type { Target, Workspace } from "../workspace.js";
import { foldersUpTo, type PlanDraft } from "../workspace-plan.js";
import { inspectPyproject, versionFileFormat } from "./pypi.js";

const UV_LOCK = "uv.lock";

/**
 * Plans the edits of every pypi target: its pyproject version(s), its version files, the dependency
 * specifiers naming a synced package in other pyprojects, and uv.lock members. Returns the PEP 440 version
 * of each pypi target.
 */
export async function planPypiEdits(
  workspace: Workspace,
  draft: PlanDraft,
  semverOf: (target: Target) => string,
): Promise<Map<Target, string>> {
  const targets = workspace.targets.filter((target) => target.ecosystem === "pypi");
  const versions = new Map(targets.map((target) => [target, pep440For(target, semverOf(target), workspace)]));
  const uvLocks = uvLockCandidates(workspace, targets);
  await prefetch(draft, [
    ...targets.flatMap((target) => [target.manifest, ...target.versionFiles]),
    ...uvLocks,
  ]);
  const synced = new Map(targets.map((target) => [normalizePythonName(target.name), versions.get(target)!]));
  for (const target of targets) await planTarget(target, versions.get(target)!, synced, draft);
  await planUvLocks(uvLocks, targets, versions, draft);
  return versions;
}

async function prefetch(draft: PlanDraft, files: string[]): Promise<void> {
  await Promise.all([...new Set(files)].map((file) => draft.files.read(file)));
}

function pep440For(target: Target, semver: string, workspace: Workspace): string {
  try {
    return toPep440(semver, workspace.config.pep440);
  } catch (error) {
    if (!(error instanceof PolyglotError)) throw error;
    throw new PolyglotError(
      `${target.name} (${target.relativeDir}) follows ${target.source} ${semver}: ${error.message}`,
      {
        file: error.file ?? POLYGLOT_CONFIG_FILE,
        ...(error.setting ? { setting: error.setting } : {}),
        fix:
          error.fix ??
          'map the prerelease tag in "pep440" of .changeset/polyglot.json, e.g. { "next": "rc" }',
      },
    );
  }
}

/** The pyproject facts of a target, parsed once per run (discovery already did). */
async function infoOf(target: Target, draft: PlanDraft): Promise<PyprojectInfo> {
  const text = (await draft.files.read(target.manifest)) ?? "";
  return draft.files.derive(target.manifest, "pyproject", () =>
    inspectPyproject(text, draft.relative(target.manifest)),
  );
}

/**
 * A target's pyproject (its version, and its dependency specifiers on the other synced packages, in one
 * pass) and its version files.
 */
async function planTarget(
  target: Target,
  version: string,
  synced: Map<string, string>,
  draft: PlanDraft,
): Promise<void> {
  const info = await infoOf(target, draft);
  validateVersionFields(target, info, draft);
  const file = draft.relative(target.manifest);
  const own = normalizePythonName(target.name);
  const text = (await draft.current(target.manifest)) ?? "";
  const dependsOnOthers = mentionsAnyOf(text, synced, own);
  // The other targets only: the shared map is narrowed for this call instead of copied per target.
  synced.delete(own);
  try {
    await draft.update(target.manifest, target, (current) =>
      updatePyproject(current, { version, ...(dependsOnOthers ? { dependencies: synced } : {}) }, { file }),
    );
  } finally {
    synced.set(own, version);
  }
  for (const versionFile of target.versionFiles) {
    if ((await draft.current(versionFile)) === undefined)
      throw missingVersionFile(target, versionFile, draft);
    const { format, variable } = versionFileFormat(versionFile, target.dir, info);
    const options = { file: draft.relative(versionFile), variable };
    await draft.update(versionFile, target, (current) =>
      format === "plain"
        ? updatePlainVersionFile(current, version, options)
        : updateVersionFile(current, version, options),
    );
  }
}

function validateVersionFields(target: Target, info: PyprojectInfo, draft: PlanDraft): void {
  const file = draft.relative(target.manifest);
  if (info.dynamic && info.version === undefined) {
    const source = info.dynamicSource;
    if (target.versionFromCargo || target.versionFiles.length > 0 || source?.kind === "poetry") return;
    const why = source && !source.writable ? ` (${source.kind} computes it; ${source.setting})` : "";
    throw new PolyglotError(`[project].dynamic lists "version" but no file to write it to is known${why}`, {
      file,
      setting: "project.dynamic",
      fix: `add { "path": "${target.relativeDir}", "versionFrom": "${target.source}", "versionFiles": ["<package>/__init__.py"] } to "targets" in ${POLYGLOT_CONFIG_FILE}, or set [tool.hatch.version] path`,
    });
  }
  if (info.version === undefined && info.poetryVersion === undefined) {
    throw new PolyglotError("pyproject.toml has no version to sync", {
      file,
      setting: "project.version",
      fix: 'add version = "0.0.0" under [project] (or list "version" in [project].dynamic with a version file)',
    });
  }
  if (info.versionConflict) {
    const { project, poetry } = info.versionConflict;
    throw new PolyglotError(
      `[project].version "${shownVersion(project)}" and [tool.poetry].version "${shownVersion(poetry)}" disagree`,
      {
        file,
        setting: "tool.poetry.version",
        fix: "make them equal, or remove [tool.poetry].version (Poetry 2 reads [project].version)",
      },
    );
  }
}

function missingVersionFile(target: Target, file: string, draft: PlanDraft): PolyglotError {
  const relative = path.relative(target.dir, file).split(path.sep).join("/");
  return new PolyglotError(`version file ${relative} of ${target.name} does not exist`, {
    file: draft.relative(file),
    ...(target.setting ? { setting: `${target.setting}.versionFiles` } : {}),
    fix: `create it with a __version__ = "..." line, or correct "versionFiles" in ${POLYGLOT_CONFIG_FILE}`,
  });
}

const NAME_TOKEN = /[A-Za-z0-9][A-Za-z0-9._-]*/g;

/** A cheap pre-check: some word of the text is (PEP 503) the name of another synced package. */
function mentionsAnyOf(text: string, names: ReadonlyMap<string, string>, own: string): boolean {
  for (const [token] of text.matchAll(NAME_TOKEN)) {
    const name = normalizePythonName(token);
    if (name !== own && names.has(name)) return true;
  }
  return false;
}

/** uv.lock files beside a pypi target or in a folder above it, up to the repo root. */
function uvLockCandidates(workspace: Workspace, targets: Target[]): string[] {
  const folders = new Set(targets.flatMap((target) => foldersUpTo(target.dir, workspace.root)));
  return [...folders].map((folder) => path.join(folder, UV_LOCK));
}

async function planUvLocks(
  candidates: string[],
  targets: Target[],
  versions: Map<Target, string>,
  draft: PlanDraft,
): Promise<void> {
  const byName = new Map(targets.map((target) => [normalizePythonName(target.name), versions.get(target)!]));
  for (const lock of candidates) {
    if ((await draft.current(lock)) === undefined) continue;
    const file = draft.relative(lock);
    await draft.update(
      lock,
      (result) => targetsNamedIn(result, targets),
      (text) => updateUvLock(text, byName, { file }),
    );
  }
}

/** The targets whose lock entries an edit result changed (fields read `package[<name>]...`). */
function targetsNamedIn(result: { edits: { field: string }[] }, targets: Target[]): Target[] {
  const names = new Set(
    result.edits.map((edit) => /^package\[([^\]]+)\]/.exec(edit.field)?.[1]).filter(Boolean),
  );
  return targets.filter((target) => names.has(normalizePythonName(target.name)));
}
