import path from "node:path";
import { POLYGLOT_CONFIG_FILE } from "../../config.js";
import type { EditResult, FieldEdit } from "../../edit/types.js";
import { PolyglotError } from "../../errors.js";
import { normalizePythonName, prereleaseTagOf, toPep440 } from "../../pep440.js";
import { assertPep440Order, formatPep440Collision, pep440Collisions } from "../../pep440-order.js";
import { type PlanDraft, targetLabel } from "../../plan/draft.js";
import { foldersUpTo } from "../../repo-paths.js";
import { shownVersion } from "../../version-text.js";
import type { Target, Workspace } from "../../workspace.js";
import type { PlanContext } from "../adapter.js";
import { inspectPyproject, PYPROJECT, versionFileFormat } from "./facts.js";
import type { PyprojectInfo, PyprojectVersionSource } from "./pyproject.js";
import { updatePyproject } from "./pyproject.js";
import { updateSetupCfg } from "./setup-cfg.js";
import { updateSetupPy } from "./setup-py.js";
import {
  noSetuptoolsVersion,
  readSetuptoolsFacts,
  setupCfgVersionSource,
  setuptoolsVersionFiles,
} from "./setuptools.js";
import { editUvLock } from "./uv-lock.js";
import { updatePlainVersionFile, updateVersionFile } from "./version-file.js";

const UV_LOCK = "uv.lock";

/**
 * Plans the edits of every pypi target: its pyproject version(s), its version files, the dependency
 * specifiers naming a synced package in other pyprojects, and uv.lock members. Returns the PEP 440 version
 * of each pypi target.
 */
export async function planPypiEdits(
  targets: Target[],
  { workspace, draft, semverOf }: PlanContext,
): Promise<Map<Target, string>> {
  await checkPrereleaseTags(workspace, targets, draft, semverOf);
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

/**
 * The `pep440` map must keep PyPI's order: a target's move that PEP 440 sorts backwards is refused, and
 * prerelease tags in use (the sources' versions before and after, pre mode's tag) that become one PEP 440
 * letter are a warning naming the map entry.
 */
async function checkPrereleaseTags(
  workspace: Workspace,
  targets: Target[],
  draft: PlanDraft,
  semverOf: (target: Target) => string,
): Promise<void> {
  const map = workspace.config.pep440;
  const preTag = await preModeTag(workspace.root, draft);
  const warnings = new Set<string>();
  for (const target of targets) {
    const before = workspace.packages.find((pkg) => pkg.name === target.source)!.version;
    const after = semverOf(target);
    assertPep440Order(before, after, map, targetLabel(target));
    // Per target: tags of different PyPI projects never compete.
    const tags = [before, after].map(prereleaseTagOf).concat(preTag);
    const used = tags.filter((tag): tag is string => tag !== undefined);
    for (const collision of pep440Collisions(used, map)) warnings.add(formatPep440Collision(collision));
  }
  draft.warnings.push(...warnings);
}

/** The tag of `changeset pre enter <tag>`, from .changeset/pre.json (changesets reports a broken file itself). */
async function preModeTag(root: string, draft: PlanDraft): Promise<string | undefined> {
  const text = await draft.files.read(path.join(root, ".changeset", "pre.json"));
  if (text === undefined) return undefined;
  try {
    const state = JSON.parse(text) as { mode?: unknown; tag?: unknown };
    return state.mode === "pre" && typeof state.tag === "string" ? state.tag : undefined;
  } catch {
    return undefined;
  }
}

function pep440For(target: Target, semver: string, workspace: Workspace): string {
  try {
    return toPep440(semver, workspace.config.pep440);
  } catch (error) {
    if (!(error instanceof PolyglotError)) throw error;
    throw new PolyglotError(
      `${target.name} (${target.relativeDir}) follows ${target.source} ${semver}: ${error.message}`,
      {
        code: error.code,
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
  if (path.basename(target.manifest) !== PYPROJECT) return planSetuptoolsTarget(target, version, draft);
  const info = await infoOf(target, draft);
  // `dynamic = ["version"]` with nothing in pyproject.toml saying where: setuptools reads setup.py / setup.cfg.
  const facts =
    info.dynamic && info.version === undefined && info.dynamicSource?.kind === "unknown"
      ? await readSetuptoolsFacts(target.dir, draft.files, (file) => draft.relative(file))
      : undefined;
  const setuptoolsOwn = facts ? setuptoolsVersionFiles(facts) : {};
  validateVersionFields(target, info, draft, Boolean(setuptoolsOwn.setupPy || setuptoolsOwn.setupCfg));
  const pyproject = await planPyproject(target, version, synced, draft);
  const source = (facts && setupCfgVersionSource(facts)) ?? info.dynamicSource;
  const moved =
    pyproject.versionMoved +
    (await planSetuptoolsVersions(target, version, setuptoolsOwn, draft)) +
    (await planVersionFiles(target, version, source, draft));
  // A maturin project's version moves in its Cargo.toml, planned with the crates: not known here.
  if (moved === 0 && !target.versionFromCargo)
    warnIfUnreleased(target, version, pyproject.dependencyEdits, draft);
}

/** The pyproject.toml's own version and its dependency specifiers on the other synced packages, in one pass. */
async function planPyproject(
  target: Target,
  version: string,
  synced: Map<string, string>,
  draft: PlanDraft,
): Promise<{ versionMoved: number; dependencyEdits: FieldEdit[] }> {
  const file = draft.relative(target.manifest);
  const own = normalizePythonName(target.name);
  let edits: FieldEdit[] = [];
  const text = (await draft.current(target.manifest)) ?? "";
  const dependsOnOthers = mentionsAnyOf(text, synced, own);
  // The other targets only: the shared map is narrowed for this call instead of copied per target.
  synced.delete(own);
  try {
    await draft.update(target.manifest, target, (current) => {
      const result = updatePyproject(
        current,
        { version, ...(dependsOnOthers ? { dependencies: synced } : {}) },
        { file },
      );
      edits = result.edits;
      return result;
    });
  } finally {
    synced.set(own, version);
  }
  const versionMoved = edits.filter((edit) => OWN_VERSION_FIELDS.has(edit.field)).length;
  return { versionMoved, dependencyEdits: edits.filter((edit) => !OWN_VERSION_FIELDS.has(edit.field)) };
}

/** The `__version__` files of a target (configured, or where its dynamic version is read). */
async function planVersionFiles(
  target: Target,
  version: string,
  source: PyprojectVersionSource | undefined,
  draft: PlanDraft,
): Promise<number> {
  let moved = 0;
  for (const versionFile of target.versionFiles) {
    if ((await draft.current(versionFile)) === undefined)
      throw missingVersionFile(target, versionFile, draft);
    const { format, variable } = versionFileFormat(versionFile, target.dir, source);
    const options = { file: draft.relative(versionFile), variable };
    await draft.update(versionFile, target, (current) => {
      const result =
        format === "plain"
          ? updatePlainVersionFile(current, version, options)
          : updateVersionFile(current, version, options);
      moved += result.edits.length;
      return result;
    });
  }
  return moved;
}

/**
 * A setuptools project without `[project]`: the literal version of setup.py's setup() (or else of setup.cfg),
 * and the version files (configured, or named by setup.cfg's attr: / file:). Nowhere to write is an error.
 */
async function planSetuptoolsTarget(target: Target, version: string, draft: PlanDraft): Promise<void> {
  const relative = (file: string) => draft.relative(file);
  const facts = (await readSetuptoolsFacts(target.dir, draft.files, relative))!;
  const own = setuptoolsVersionFiles(facts);
  if (!own.setupPy && !own.setupCfg && target.versionFiles.length === 0) {
    throw noSetuptoolsVersion(facts, target.relativeDir, target.source, relative);
  }
  await planSetuptoolsVersions(target, version, own, draft);
  await planVersionFiles(target, version, setupCfgVersionSource(facts), draft);
}

/** The literal versions of setup.py's setup() and setup.cfg's [metadata] that setuptools reads. */
async function planSetuptoolsVersions(
  target: Target,
  version: string,
  own: { setupPy?: string; setupCfg?: string },
  draft: PlanDraft,
): Promise<number> {
  let moved = 0;
  const count = (result: EditResult) => {
    moved += result.edits.length;
    return result;
  };
  if (own.setupPy) {
    const file = draft.relative(own.setupPy);
    await draft.update(own.setupPy, target, (text) => count(updateSetupPy(text, version, { file })));
  }
  if (own.setupCfg) {
    const file = draft.relative(own.setupCfg);
    await draft.update(own.setupCfg, target, (text) => count(updateSetupCfg(text, version, { file })));
  }
  return moved;
}

const OWN_VERSION_FIELDS = new Set(["project.version", "tool.poetry.version"]);

/**
 * Dependency specifiers that move while the target's own version stays put reach nobody: the published
 * package keeps the old ones until the target is released again.
 */
function warnIfUnreleased(target: Target, version: string, edits: FieldEdit[], draft: PlanDraft): void {
  const moved = edits.filter((edit) => edit.from !== edit.to);
  if (moved.length === 0) return;
  const specifiers = moved.map((edit) => `"${edit.from}" -> "${edit.to}"`).join(", ");
  draft.warnings.push(
    `${targetLabel(target)} is not being released (its version stays ${version}), but its dependency ${moved.length > 1 ? "specifiers" : "specifier"} ${specifiers} moved in ${draft.relative(target.manifest)}, so no published build carries the change (fix: add a changeset for ${target.source}, e.g. \`changeset add\`, and release it)`,
  );
}

function validateVersionFields(
  target: Target,
  info: PyprojectInfo,
  draft: PlanDraft,
  setuptoolsWritable: boolean,
): void {
  const file = draft.relative(target.manifest);
  if (info.dynamic && info.version === undefined) {
    const source = info.dynamicSource;
    if (target.versionFromCargo || target.versionFiles.length > 0 || source?.kind === "poetry") return;
    if (setuptoolsWritable) return;
    const why = source && !source.writable ? ` (${source.kind} computes it; ${source.setting})` : "";
    throw new PolyglotError(`[project].dynamic lists "version" but no file to write it to is known${why}`, {
      code: "dynamic-version-without-version-files",
      file,
      setting: "project.dynamic",
      fix: `add { "path": "${target.relativeDir}", "versionFrom": "${target.source}", "versionFiles": ["<package>/__init__.py"] } to "targets" in ${POLYGLOT_CONFIG_FILE}, or set [tool.hatch.version] path`,
    });
  }
  if (info.version === undefined && info.poetryVersion === undefined) {
    throw new PolyglotError("pyproject.toml has no version to sync", {
      code: "manifest-no-version",
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
        code: "manifest-version-conflict",
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
    code: "version-file-missing",
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
    await draft.updateShared(lock, (text) => {
      const { result, packages } = editUvLock(text, byName, { file });
      return { result, owners: targets.filter((target) => packages.has(normalizePythonName(target.name))) };
    });
  }
}
