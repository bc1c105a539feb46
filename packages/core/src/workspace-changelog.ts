import path from "node:path";
import type { Target, Workspace } from "./workspace.js";
import { FileCache } from "./workspace-files.js";
import { PlanDraft, type PlannedFile, type SyncPlan } from "./workspace-plan.js";

const CHANGELOG = "CHANGELOG.md";

/**
 * The "after" step of follow targets with `changelog: true`: mirrors the section of the source's CHANGELOG.md
 * for its current version into `<target>/CHANGELOG.md`, headed with the target's own version spelling. Run it
 * once `changeset version` has written the source changelog; a section already mirrored is left alone.
 */
export async function planChangelogs(
  workspace: Workspace,
  plan: SyncPlan,
  options: { files?: FileCache } = {},
): Promise<PlannedFile[]> {
  const files = options.files ?? new FileCache();
  const draft = new PlanDraft(workspace.root, files);
  const targets = [...plan.versions.keys()].filter((target) => target.changelog);
  for (const target of targets) await mirrorInto(workspace, target, plan.versions.get(target)!, draft);
  return draft.result();
}

async function mirrorInto(
  workspace: Workspace,
  target: Target,
  targetVersion: string,
  draft: PlanDraft,
): Promise<void> {
  const source = workspace.packages.find((pkg) => pkg.name === target.source)!;
  const sourceText = await draft.files.read(path.join(source.dir, CHANGELOG));
  if (sourceText === undefined) return;
  const file = path.join(target.dir, CHANGELOG);
  const targetText = await draft.current(file);
  // TODO: mirrorChangelogSection (../edit) has not landed yet.
  void [sourceText, targetText, targetVersion, file];
}
