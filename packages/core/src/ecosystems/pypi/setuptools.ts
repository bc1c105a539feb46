import path from "node:path";
import { POLYGLOT_CONFIG_FILE } from "../../config.js";
import { PolyglotError } from "../../errors.js";
import { requireValidName } from "../../names.js";
import type { FileCache } from "../../workspace-files.js";
import { moduleFiles, type PyprojectVersionSource } from "./pyproject.js";
import { readSetupCfgInfo, type SetupCfgInfo } from "./setup-cfg.js";
import { readSetupPyInfo, type SetupPyInfo } from "./setup-py.js";

export const SETUP_CFG = "setup.cfg";
export const SETUP_PY = "setup.py";

/** What a setuptools project without `[project]` declares in its setup.cfg and setup.py. */
export interface SetuptoolsFacts {
  /** Absolute paths of the two files, when they exist. */
  setupCfg?: string;
  setupPy?: string;
  cfg?: SetupCfgInfo;
  py?: SetupPyInfo;
}

/** Reads (once per run, through `files`) the setup.cfg and setup.py of `dir`; undefined when it has neither. */
export async function readSetuptoolsFacts(
  dir: string,
  files: FileCache,
  relative: (file: string) => string,
): Promise<SetuptoolsFacts | undefined> {
  const setupCfg = path.join(dir, SETUP_CFG);
  const setupPy = path.join(dir, SETUP_PY);
  const [cfgText, pyText] = await Promise.all([files.read(setupCfg), files.read(setupPy)]);
  if (cfgText === undefined && pyText === undefined) return undefined;
  const facts: SetuptoolsFacts = {};
  if (cfgText !== undefined) {
    facts.setupCfg = setupCfg;
    facts.cfg = files.derive(setupCfg, SETUP_CFG, () =>
      readSetupCfgInfo(cfgText, { file: relative(setupCfg) }),
    );
  }
  if (pyText !== undefined) {
    facts.setupPy = setupPy;
    facts.py = files.derive(setupPy, SETUP_PY, () => readSetupPyInfo(pyText));
  }
  return facts;
}

/** The file that stands for the project (its target's `manifest`): setup.py when there is one. */
export function setuptoolsManifest(facts: SetuptoolsFacts): string {
  return (facts.setupPy ?? facts.setupCfg)!;
}

/** The project name: `[metadata] name` of setup.cfg, else a literal `name=` of setup(); validated. */
export function setuptoolsName(facts: SetuptoolsFacts, relative: (file: string) => string): string {
  const cfgName = facts.cfg?.name;
  if (cfgName !== undefined && facts.setupCfg) {
    return requireValidName("python", cfgName, { file: relative(facts.setupCfg), setting: "metadata.name" });
  }
  const pyName = facts.py?.name;
  if (pyName?.kind === "literal" && facts.setupPy) {
    return requireValidName("python", pyName.value, {
      file: relative(facts.setupPy),
      setting: "setup().name",
    });
  }
  const manifest = setuptoolsManifest(facts);
  throw new PolyglotError(`${relative(manifest)} gives the Python project no name the sync can read`, {
    code: "manifest-no-name",
    file: relative(manifest),
    setting: facts.setupCfg ? "metadata.name" : "setup().name",
    fix: facts.setupCfg
      ? "write name = <project> under [metadata] in setup.cfg"
      : 'write name="<project>" as a plain string in the setup() call',
  });
}

/**
 * The version source setuptools uses when setup() has no `version=` of its own: setup.cfg's `attr:`
 * (a module attribute) or `file:` (a file holding only the version), in the shape pyproject sources use.
 */
export function setupCfgVersionSource(facts: SetuptoolsFacts): PyprojectVersionSource | undefined {
  const version = facts.cfg?.version;
  if (facts.py?.version !== undefined || version === undefined || version.kind === "literal")
    return undefined;
  const setting = "metadata.version";
  if (version.kind === "file") {
    return {
      kind: "setuptools",
      paths: version.paths,
      format: "plain",
      setting,
      writable: version.paths.length === 1,
    };
  }
  const root = facts.cfg?.packageRoot;
  const roots = [...new Set([...(root ? [`${root.replace(/\/$/, "")}/`] : []), "", "src/"])];
  return {
    kind: "setuptools",
    paths: moduleFiles(version.module, roots),
    format: "assignment",
    variable: version.variable,
    setting,
    writable: true,
  };
}

/** Where the sync writes a setuptools project's own version: its literal setup.py / setup.cfg versions. */
export function setuptoolsVersionFiles(facts: SetuptoolsFacts): { setupPy?: string; setupCfg?: string } {
  const pyVersion = facts.py?.version;
  if (pyVersion?.kind === "literal") return { setupPy: facts.setupPy! };
  // setup()'s own version= wins over setup.cfg; a computed one leaves setup.cfg unread by setuptools.
  if (pyVersion === undefined && facts.cfg?.version?.kind === "literal") return { setupCfg: facts.setupCfg! };
  return {};
}

/**
 * A setuptools project whose version the sync can write nowhere: no literal version in setup.py or
 * setup.cfg, no attr: / file: source, no versionFiles. The fix never suggests `[project]`: with it,
 * setuptools demands `[project].version` and ignores setup.py's.
 */
export function noSetuptoolsVersion(
  facts: SetuptoolsFacts,
  folder: string,
  source: string,
  relative: (file: string) => string,
): PolyglotError {
  const manifest = relative(setuptoolsManifest(facts));
  const computed = facts.py?.version?.kind === "expression" ? facts.py.version : undefined;
  const why = computed
    ? `setup.py computes its version (version=${computed.text}) and the sync does not run setup.py`
    : "neither setup.py nor setup.cfg holds a version the sync can write";
  return new PolyglotError(`the Python project in ${folder}: ${why}`, {
    code: "setuptools-version-not-writable",
    file: computed && facts.setupPy ? relative(facts.setupPy) : manifest,
    ...(computed ? { line: computed.line } : {}),
    setting: computed ? "setup().version" : "metadata.version",
    fix: `list the file holding the version (e.g. <package>/version.py with __version__ = "...") in { "path": "${folder}", "versionFrom": "${source}", "versionFiles": ["<package>/version.py"] } under "targets" in ${POLYGLOT_CONFIG_FILE}; or write version="0.0.0" in setup(), or version = 0.0.0 (or attr: <package>.__version__) under [metadata] in setup.cfg`,
  });
}
