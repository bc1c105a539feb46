import path from "node:path";
import { mirrorChangelogSection } from "./edit/changelog.js";
import { PolyglotError } from "./errors.js";
import { PlanDraft, type PlannedFile, type SyncPlan } from "./plan/draft.js";
import type { Target, Workspace } from "./workspace.js";
import { FileCache } from "./workspace-files.js";

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
  const files = options.files ?? new FileCache(workspace.root);
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
  const text = withSourceFile(draft.relative(path.join(source.dir, CHANGELOG)), () =>
    mirrorChangelogSection(sourceText, source.version, targetText, targetVersion, target.name),
  );
  if (text === targetText) return;
  await draft.write(file, target, {
    text,
    edits: [{ field: "section", from: "", to: `## ${targetVersion}` }],
  });
}

/** Names the source changelog in an error of the mirror (the updater itself does not know the file). */
function withSourceFile<T>(file: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof PolyglotError) || error.file) throw error;
    throw new PolyglotError(error.message, {
      code: error.code,
      file,
      ...(error.setting ? { setting: error.setting } : {}),
      ...(error.fix ? { fix: error.fix } : {}),
      exitCode: error.exitCode,
    });
  }
}

/**
 * Reads, before `changeset version` runs, every file the changelog step will read or write, so an unreadable
 * one (a folder, no permission) stops the run while nothing has been written yet.
 */
export async function checkChangelogInputs(
  workspace: Workspace,
  options: { files?: FileCache } = {},
): Promise<void> {
  const files = options.files ?? new FileCache(workspace.root);
  const targets = workspace.targets.filter((target) => target.changelog);
  await Promise.all(
    targets.flatMap((target) => {
      const source = workspace.packages.find((pkg) => pkg.name === target.source)!;
      return [files.read(path.join(source.dir, CHANGELOG)), files.read(path.join(target.dir, CHANGELOG))];
    }),
  );
}
