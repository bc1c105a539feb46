import type { PolyglotConfig } from "../config.js";
import type { PlanDraft } from "../plan/draft.js";
import type { Target, Workspace } from "../workspace.js";
import type { FileCache } from "../workspace-files.js";

/**
 * Everything the suite knows about one ecosystem (PyPI, crates.io...): how to find its targets in a folder, how
 * to plan their edits, and how its registry is asked. Core, publish and changelog loop over `ecosystemAdapters`
 * and name no ecosystem; adding one is a folder under `ecosystems/` and a line in `adapters.ts`.
 */
export interface EcosystemAdapter {
  /** `Target.ecosystem` of the targets it owns, e.g. `pypi`. */
  readonly ecosystem: string;
  /** The manifests it recognises in a folder, for messages (`pyproject.toml, setup.py, setup.cfg`). */
  readonly manifestNames: readonly string[];
  /** The targets of this ecosystem in one folder: none when it holds no manifest of it. */
  discover(folder: DiscoveryFolder, context: DiscoveryContext): Promise<Target[]>;
  /**
   * Plans every edit of its targets (manifests, lock files, dependency specifiers, version files) into the
   * shared draft, reading through the run's file cache; returns each target's version in its own spelling.
   * Throws a PolyglotError before anything is written.
   */
  plan(targets: Target[], context: PlanContext): Promise<Map<Target, string>>;
  /** The registry side: what publish and changelog ask. */
  readonly registry: EcosystemRegistry;
}

/** A folder that may hold targets, with what its targets share. */
export interface DiscoveryFolder {
  /** Absolute folder. */
  dir: string;
  /** The npm package the targets follow. */
  source: string;
  mode: Target["mode"];
  /** Configured version files (absolute). */
  versionFiles: string[];
  changelog: boolean;
  /** Follow targets: the config entry, e.g. `targets[1]`. */
  setting?: string;
}

export interface DiscoveryContext {
  root: string;
  /** The run's file cache: one read and one parse per file, shared with planning. */
  files: FileCache;
  relative(file: string): string;
}

export interface PlanContext {
  workspace: Workspace;
  draft: PlanDraft;
  /** The semver a target moves to (its source's predicted or current version). */
  semverOf(target: Target): string;
}

/**
 * The registry of an ecosystem. The publish steps of an ecosystem (a crates.io publish, a twine upload to
 * PyPI) belong here too, next to the lookup, so that `polyglot-publish` stays free of ecosystem knowledge.
 */
export interface EcosystemRegistry {
  /** How users call the registry: `PyPI`, `crates.io`. */
  readonly displayName: string;
  /** The name the index knows a target by (PEP 503 normalized for PyPI). */
  packageName(target: Target): string;
  /** The version a target is published as, for its source's semver (canonical PEP 440 for PyPI). */
  publishVersion(semver: string, config: PolyglotConfig): string;
  /** Whether `version` of `name` is on `index`; a failed or unexpected answer is a PolyglotError. */
  versionState(query: VersionQuery, http: RegistryHttp): Promise<VersionState>;
  /**
   * The registry name of the package described by a manifest in `dir`, for changelog lines of a bridge package
   * (a private package.json beside it); undefined when there is none or it cannot be read.
   */
  nameInFolder(dir: string, read: (file: string) => string | undefined): string | undefined;
}

export interface VersionQuery {
  /** Base URL of the index (e.g. `https://pypi.org`). */
  index: string;
  name: string;
  version: string;
}

export type VersionState = "present" | "missing";

/** An index's answer to a GET, read by the caller's bounded HTTP layer. */
export interface RegistryAnswer {
  status: number;
  /** The body parsed as JSON, or why it is not JSON. */
  json(): { ok: true; value: unknown } | { ok: false; reason: string };
}

/**
 * HTTP as the caller does it (timeouts, size bounds, proxies, redaction live there): injected so that core makes
 * no network call of its own and tests pass a stand-in shaped like the registry.
 */
export interface RegistryHttp {
  /** GETs `url`; rejects with an Error whose message says why no answer came. */
  get(url: string, headers: Record<string, string>): Promise<RegistryAnswer>;
  /** `url` as it may be printed (credentials removed). */
  redact(url: string): string;
}
