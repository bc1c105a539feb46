import path from "node:path";
import { planCargoEdits } from "./ecosystems/cargo-plan.js";
import { planPypiEdits } from "./ecosystems/pypi-plan.js";
import type { EditResult, FieldEdit } from "./edit/types.js";
import { shownValue } from "./version-text.js";
import { type Target, toRelative, type Workspace } from "./workspace.js";
import { FileCache } from "./workspace-files.js";

/** One version value moved by the sync: `file` is repo-relative. */
export interface PlannedEdit extends FieldEdit {
  file: string;
}

/** One file's new content with the edits that produce it; `before` undefined means the file is created. */
export interface PlannedFile {
  file: string;
  relativeFile: string;
  before: string | undefined;
  after: string;
  edits: PlannedEdit[];
  /** Labels of the targets these edits belong to (see `targetLabel`). */
  targets: string[];
}

export interface SyncPlan {
  /** Files whose content changes, in a stable order. */
  files: PlannedFile[];
  /** The version each target is synced to, in its own spelling (canonical PEP 440 for pypi). */
  versions: Map<Target, string>;
  /** Things the sync did but that need a person's look, one line each, without a `warning:` prefix. */
  warnings: string[];
}

/** How one target names itself in messages: `packages/python (pypi event-forge-inbox-outbox)`. */
export function targetLabel(target: Target): string {
  return `${target.relativeDir} (${target.ecosystem} ${target.name})`;
}

/**
 * Collects the edits of a run: every file is read once, updaters on the same file are chained, and nothing
 * is written. A file that ends up unchanged is left out of the plan.
 */
export class PlanDraft {
  readonly #drafts = new Map<
    string,
    { before: string | undefined; text: string; edits: PlannedEdit[]; targets: Set<string> }
  >();
  /** See SyncPlan.warnings. */
  readonly warnings: string[] = [];

  constructor(
    readonly root: string,
    readonly files: FileCache,
  ) {}

  relative(file: string): string {
    return toRelative(this.root, file);
  }

  /** Text of `file` as planned so far (after earlier updaters), undefined when the file does not exist. */
  async current(file: string): Promise<string | undefined> {
    const draft = this.#drafts.get(file);
    return draft ? draft.text : this.files.read(file);
  }

  /**
   * Applies `update` to the planned text of `file` on behalf of `target`, or of the targets a function picks
   * from the result (a lock file shared by several targets).
   */
  async update(
    file: string,
    target: Target | ((result: EditResult) => Target[]),
    update: (text: string) => EditResult,
  ): Promise<void> {
    const text = await this.current(file);
    if (text === undefined) throw new Error(`internal: ${file} was not checked to exist`);
    this.record(file, target, text, update(text));
  }

  /** Creates or replaces `file` with `text` (e.g. a mirrored changelog). */
  async write(file: string, target: Target, result: EditResult): Promise<void> {
    const text = await this.current(file);
    this.record(file, target, text, result);
  }

  private record(
    file: string,
    target: Target | ((result: EditResult) => Target[]),
    text: string | undefined,
    result: EditResult,
  ): void {
    const draft = this.#drafts.get(file) ?? {
      before: text,
      text: text ?? "",
      edits: [],
      targets: new Set<string>(),
    };
    draft.text = result.text;
    const relativeFile = this.relative(file);
    draft.edits.push(
      ...result.edits
        .filter((edit) => edit.from !== edit.to)
        .map((edit) => ({ file: relativeFile, ...edit, from: shownValue(edit.field, edit.from) })),
    );
    if (result.text !== text) {
      const owners = typeof target === "function" ? target(result) : [target];
      for (const owner of owners) draft.targets.add(targetLabel(owner));
    }
    this.#drafts.set(file, draft);
  }

  /** The changed files, sorted by path. */
  result(): PlannedFile[] {
    return [...this.#drafts.entries()]
      .filter(([, draft]) => draft.text !== draft.before)
      .map(([file, draft]) => ({
        file,
        relativeFile: this.relative(file),
        before: draft.before,
        after: draft.text,
        edits: draft.edits,
        targets: [...draft.targets],
      }))
      .sort((a, b) => a.relativeFile.localeCompare(b.relativeFile));
  }
}

/**
 * Plans every target edit for the given source versions (npm name -> semver; sources not listed keep their
 * package.json version). Validates everything first: any PolyglotError comes before a single byte is written.
 */
export async function planSync(
  workspace: Workspace,
  sourceVersions: ReadonlyMap<string, string>,
  options: { files?: FileCache } = {},
): Promise<SyncPlan> {
  const files = options.files ?? new FileCache(workspace.root);
  const draft = new PlanDraft(workspace.root, files);
  const current = new Map(workspace.packages.map((pkg) => [pkg.name, pkg.version]));
  const versionOf = (target: Target) => sourceVersions.get(target.source) ?? current.get(target.source)!;
  const pypi = await planPypiEdits(workspace, draft, versionOf);
  const cargo = await planCargoEdits(workspace, draft, versionOf);
  return { files: draft.result(), versions: new Map([...pypi, ...cargo]), warnings: draft.warnings };
}

/** Folders from `dir` up to `root` (inclusive), nearest first. */
export function foldersUpTo(dir: string, root: string): string[] {
  const folders: string[] = [];
  let current = dir;
  while (current.startsWith(root)) {
    folders.push(current);
    if (current === root) break;
    current = path.dirname(current);
  }
  return folders;
}
