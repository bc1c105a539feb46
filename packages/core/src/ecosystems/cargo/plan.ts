import path from "node:path";
import { PolyglotError } from "../../errors.js";
import type { PlanDraft } from "../../plan/draft.js";
import { foldersUpTo } from "../../repo-paths.js";
import type { Target, Workspace } from "../../workspace.js";
import type { PlanContext } from "../adapter.js";
import { editCargoLock, updateCargoToml } from "./edit.js";
import {
  CARGO_LOCK,
  CARGO_TOML,
  type CargoFacts,
  findCargoWorkspaceRoot,
  inspectCargoToml,
} from "./facts.js";

/** Which target's version a manifest holds. */
interface VersionOwner {
  target: Target;
  version: string;
}

/**
 * Plans the edits of every cargo target: `[package].version` (or `[workspace.package].version` of the
 * workspace root it inherits from), path dependencies between synced crates (also in `[workspace.dependencies]`
 * of the Cargo workspace roots), and Cargo.lock entries. Versions stay semver. Returns each target's version.
 */
export async function planCargoEdits(
  targets: Target[],
  { workspace, draft, semverOf }: PlanContext,
): Promise<Map<Target, string>> {
  const versions = new Map(targets.map((target) => [target, semverOf(target)]));
  if (targets.length === 0) return versions;
  const crates = new Map(targets.map((target) => [target.name, versions.get(target)!]));
  const workspaceRoots = await cargoWorkspaceRoots(workspace, targets, draft);
  await Promise.all(
    [...targets.map((target) => target.manifest), ...workspaceRoots.values()].map((file) =>
      draft.files.read(file),
    ),
  );
  const owners = await versionOwners(targets, versions, workspaceRoots, draft);
  const manifests = new Map<string, Target>([
    ...targets.map((target) => [workspaceRoots.get(target)!, target] as const),
    ...targets.map((target) => [target.manifest, target] as const),
  ]);
  for (const [manifest, target] of manifests) {
    const owner = owners.get(manifest);
    const file = draft.relative(manifest);
    await draft.update(manifest, owner?.target ?? target, (text) =>
      updateCargoToml(text, owner?.version, { crates, file }),
    );
  }
  await planCargoLocks(workspace, targets, crates, draft);
  return versions;
}

/** The Cargo.toml of each target's Cargo workspace root (the crate's own manifest when it has none). */
async function cargoWorkspaceRoots(
  workspace: Workspace,
  targets: Target[],
  draft: PlanDraft,
): Promise<Map<Target, string>> {
  const read = (file: string) => draft.files.read(file);
  const roots = await Promise.all(
    targets.map(async (target) => {
      const dir = await findCargoWorkspaceRoot(target.dir, workspace.root, read);
      return [target, path.join(dir, CARGO_TOML)] as const;
    }),
  );
  return new Map(roots);
}

/**
 * Which manifest holds each target's version: the crate's own Cargo.toml, or the workspace root it inherits
 * from. Two targets sharing one inherited version must follow the same version.
 */
async function versionOwners(
  targets: Target[],
  versions: Map<Target, string>,
  workspaceRoots: Map<Target, string>,
  draft: PlanDraft,
): Promise<Map<string, VersionOwner>> {
  const owners = new Map<string, VersionOwner>();
  for (const target of targets) {
    const facts = await cargoFacts(target.manifest, draft);
    const manifest = facts.inheritsWorkspaceVersion
      ? await inheritedFrom(target, workspaceRoots.get(target)!, draft)
      : ownVersionManifest(target, facts, draft);
    const version = versions.get(target)!;
    const previous = owners.get(manifest);
    if (previous && previous.version !== version) {
      throw sharedVersionConflict(manifest, previous, { target, version }, draft);
    }
    owners.set(manifest, { target, version });
  }
  return owners;
}

async function cargoFacts(manifest: string, draft: PlanDraft): Promise<CargoFacts> {
  const text = (await draft.files.read(manifest)) ?? "";
  return draft.files.derive(manifest, "cargo", () => inspectCargoToml(text, draft.relative(manifest)));
}

function ownVersionManifest(target: Target, facts: CargoFacts, draft: PlanDraft): string {
  if (facts.version !== undefined || facts.workspaceVersion !== undefined) return target.manifest;
  throw new PolyglotError("Cargo.toml has no [package].version to sync", {
    code: "manifest-no-version",
    file: draft.relative(target.manifest),
    setting: "package.version",
    fix: 'add version = "0.0.0" under [package], or version.workspace = true with [workspace.package].version',
  });
}

async function inheritedFrom(target: Target, workspaceManifest: string, draft: PlanDraft): Promise<string> {
  const facts = await cargoFacts(workspaceManifest, draft);
  if (facts.workspaceVersion !== undefined) return workspaceManifest;
  throw new PolyglotError(
    `${target.name} has version.workspace = true but ${draft.relative(workspaceManifest)} has no [workspace.package].version`,
    {
      code: "cargo-workspace-version",
      file: draft.relative(target.manifest),
      setting: "package.version.workspace",
      fix: `add version = "..." under [workspace.package] in ${draft.relative(workspaceManifest)}, or give the crate its own version`,
    },
  );
}

function sharedVersionConflict(
  manifest: string,
  first: VersionOwner,
  second: VersionOwner,
  draft: PlanDraft,
): PolyglotError {
  return new PolyglotError(
    `${first.target.name} and ${second.target.name} share [workspace.package].version but follow different versions (${first.version} from ${first.target.source}, ${second.version} from ${second.target.source})`,
    {
      code: "cargo-workspace-version",
      file: draft.relative(manifest),
      setting: "workspace.package.version",
      fix: "let both crates follow the same npm package (or put their sources in a fixed group), or give each crate its own version",
    },
  );
}

async function planCargoLocks(
  workspace: Workspace,
  targets: Target[],
  crates: Map<string, string>,
  draft: PlanDraft,
): Promise<void> {
  const folders = new Set(targets.flatMap((target) => foldersUpTo(target.dir, workspace.root)));
  const locks = [...folders].map((folder) => path.join(folder, CARGO_LOCK));
  await Promise.all(locks.map((lock) => draft.files.read(lock)));
  for (const lock of locks) {
    if ((await draft.current(lock)) === undefined) continue;
    const file = draft.relative(lock);
    await draft.updateShared(lock, (text) => {
      const { result, packages } = editCargoLock(text, crates, { file });
      return { result, owners: targets.filter((target) => packages.has(target.name)) };
    });
  }
}
