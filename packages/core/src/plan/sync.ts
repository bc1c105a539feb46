import { ecosystemAdapters } from "../ecosystems/adapters.js";
import type { Target, Workspace } from "../workspace.js";
import { FileCache } from "../workspace-files.js";
import { PlanDraft, type SyncPlan } from "./draft.js";

/**
 * Plans every target edit for the given source versions (npm name -> semver; sources not listed keep their
 * package.json version): each ecosystem adapter plans its targets into one draft. Validates everything first:
 * any PolyglotError comes before a single byte is written.
 */
export async function planSync(
  workspace: Workspace,
  sourceVersions: ReadonlyMap<string, string>,
  options: { files?: FileCache } = {},
): Promise<SyncPlan> {
  const files = options.files ?? new FileCache(workspace.root);
  const draft = new PlanDraft(workspace.root, files);
  const current = new Map(workspace.packages.map((pkg) => [pkg.name, pkg.version]));
  const semverOf = (target: Target) => sourceVersions.get(target.source) ?? current.get(target.source)!;
  const versions = new Map<Target, string>();
  for (const adapter of ecosystemAdapters) {
    const targets = workspace.targets.filter((target) => target.ecosystem === adapter.ecosystem);
    const planned = await adapter.plan(targets, { workspace, draft, semverOf });
    for (const [target, version] of planned) versions.set(target, version);
  }
  return { files: draft.result(), versions, warnings: draft.warnings };
}
