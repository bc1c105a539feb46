import path from "node:path";
import { PolyglotError } from "../../errors.js";
import { requireValidName } from "../../names.js";
import type { Target } from "../../workspace.js";
import type { DiscoveryContext, DiscoveryFolder } from "../adapter.js";
import { cargoTarget } from "../cargo/discover.js";
import { baseTarget, folderOrigin, requireContent } from "../manifest.js";
import { inspectPyproject, PYPROJECT, resolveDynamicVersionSource } from "./facts.js";
import type { PyprojectInfo } from "./pyproject.js";
import {
  readSetuptoolsFacts,
  type SetuptoolsFacts,
  setupCfgVersionSource,
  setuptoolsManifest,
  setuptoolsName,
} from "./setuptools.js";

/**
 * The Python project of a folder: from its pyproject.toml, or from setup.py / setup.cfg when pyproject.toml
 * leaves the project to setuptools; a maturin project whose Cargo.toml lies outside the folder brings that
 * crate along as a cargo target.
 */
export async function discoverPypiTargets(
  folder: DiscoveryFolder,
  context: DiscoveryContext,
): Promise<Target[]> {
  const manifest = path.join(folder.dir, PYPROJECT);
  const text = await context.files.read(manifest, folderOrigin(folder));
  requireContent(context.root, manifest, text, "Python package");
  // setup.py / setup.cfg are looked for only where pyproject.toml leaves the project to them (most folders of a
  // large repo have a complete pyproject.toml: two probes fewer each).
  const setuptools = leavesProjectToSetuptools(manifest, text, context)
    ? await readSetuptoolsFacts(folder.dir, context.files, context.relative)
    : undefined;
  const pypi = text === undefined ? undefined : pypiTarget(folder, manifest, text, context, setuptools);
  if (pypi) {
    const companion = await companionCargoTarget(folder, pypi, context);
    return companion ? [pypi, companion] : [pypi];
  }
  return setuptools ? [setuptoolsTarget(folder, setuptools, context)] : [];
}

/**
 * A setuptools project described by setup.py / setup.cfg (its pyproject.toml, if any, has no `[project]`).
 * Its version is written in setup.py / setup.cfg or in the files setup.cfg's `attr:` / `file:` name.
 */
function setuptoolsTarget(
  folder: DiscoveryFolder,
  facts: SetuptoolsFacts,
  context: DiscoveryContext,
): Target {
  const name = setuptoolsName(facts, context.relative);
  const source = setupCfgVersionSource(facts);
  const dynamic = resolveDynamicVersionSource(
    folder.dir,
    source,
    context.relative(facts.setupCfg ?? setuptoolsManifest(facts)),
    folder.versionFiles.length > 0,
    context.files.repo,
  );
  return {
    ...baseTarget(context.root, folder, setuptoolsManifest(facts)),
    ecosystem: "pypi",
    name,
    versionFiles: [...new Set([...folder.versionFiles, ...dynamic.versionFiles])],
  };
}

/** No pyproject.toml, one that declares no project, or a dynamic version it does not locate. */
function leavesProjectToSetuptools(
  manifest: string,
  text: string | undefined,
  context: DiscoveryContext,
): boolean {
  if (text === undefined) return true;
  const info = pyprojectInfo(manifest, text, context);
  return declaresNoProject(info) || info.dynamicSource?.kind === "unknown";
}

function pyprojectInfo(manifest: string, text: string, context: DiscoveryContext): PyprojectInfo {
  return context.files.derive(manifest, "pyproject", () =>
    inspectPyproject(text, context.relative(manifest)),
  );
}

function declaresNoProject(info: PyprojectInfo): boolean {
  return (
    info.name === undefined && info.version === undefined && info.poetryVersion === undefined && !info.dynamic
  );
}

/**
 * The pypi target of a pyproject.toml; in a bridge folder, one that declares no project (only tool settings,
 * such as ruff's or black's beside a JavaScript package) is not one.
 */
function pypiTarget(
  folder: DiscoveryFolder,
  manifest: string,
  text: string,
  context: DiscoveryContext,
  setuptools: SetuptoolsFacts | undefined,
): Target | undefined {
  const relativeFile = context.relative(manifest);
  const info = pyprojectInfo(manifest, text, context);
  // Only [build-system] (or tool settings) beside a setup.py / setup.cfg: setuptools reads the project there.
  if (declaresNoProject(info) && (folder.mode === "bridge" || setuptools)) return undefined;
  const name = requirePythonName(info, relativeFile);
  // A dynamic version pyproject.toml says nothing more about: setuptools takes it from setup.cfg / setup.py.
  const unknown = info.dynamicSource?.kind === "unknown";
  const source = (unknown && setuptools && setupCfgVersionSource(setuptools)) || info.dynamicSource;
  const dynamic = resolveDynamicVersionSource(
    folder.dir,
    source,
    source === info.dynamicSource ? relativeFile : context.relative(setuptools!.setupCfg!),
    folder.versionFiles.length > 0,
    context.files.repo,
  );
  const versionFiles = [...new Set([...folder.versionFiles, ...dynamic.versionFiles])];
  return {
    ...baseTarget(context.root, folder, manifest),
    ecosystem: "pypi",
    name,
    versionFiles,
    ...(dynamic.cargoManifest ? { versionFromCargo: dynamic.cargoManifest } : {}),
  };
}

function requirePythonName(info: PyprojectInfo, relativeFile: string): string {
  if (info.name) {
    const setting = info.nameSetting ?? "project.name";
    return requireValidName("python", info.name, { file: relativeFile, setting });
  }
  throw new PolyglotError("pyproject.toml has no [project].name or [tool.poetry].name", {
    code: "manifest-no-name",
    file: relativeFile,
    setting: "project.name",
    fix: 'add name = "..." under [project]',
  });
}

/**
 * A maturin project whose Cargo.toml lies outside its folder: that Cargo.toml becomes a target too (one in the
 * folder itself is the cargo adapter's).
 */
async function companionCargoTarget(
  folder: DiscoveryFolder,
  pypi: Target,
  context: DiscoveryContext,
): Promise<Target | undefined> {
  const manifest = pypi.versionFromCargo;
  if (!manifest || path.dirname(manifest) === folder.dir) return undefined;
  const text = await context.files.read(manifest, {
    setting: "tool.maturin.manifest-path",
    file: context.relative(pypi.manifest),
  });
  if (text === undefined) {
    throw new PolyglotError(
      `the maturin project reads its version from ${context.relative(manifest)}, which does not exist`,
      {
        code: "maturin-cargo-missing",
        file: context.relative(pypi.manifest),
        setting: "tool.maturin.manifest-path",
        fix: "correct tool.maturin.manifest-path, or give [project] a static version",
      },
    );
  }
  return cargoTarget({ ...folder, dir: path.dirname(manifest), changelog: false }, manifest, text, context);
}
