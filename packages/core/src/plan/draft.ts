import type { EditResult, FieldEdit } from "../edit/types.js";
import { toRelative } from "../repo-paths.js";
import { shownValue } from "../version-text.js";
import type { Target } from "../workspace.js";
import type { FileCache } from "../workspace-files.js";

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
  /** The targets these edits belong to. */
  owners: Target[];
  /** Their labels, for messages (see `targetLabel`). */
  targets: string[];
}

/** An edit of a file shared by several targets, with the targets whose part of it changed. */
export interface OwnedEdit {
  result: EditResult;
  owners: readonly Target[];
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
    { before: string | undefined; text: string; edits: PlannedEdit[]; owners: Set<Target> }
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

  /** Applies `update` to the planned text of `file` on behalf of `owner`. */
  async update(file: string, owner: Target, update: (text: string) => EditResult): Promise<void> {
    await this.updateShared(file, (text) => ({ result: update(text), owners: [owner] }));
  }

  /**
   * Applies `update` to the planned text of a file several targets share (a lock file): the update names the
   * targets whose entries it changed.
   */
  async updateShared(file: string, update: (text: string) => OwnedEdit): Promise<void> {
    const text = await this.current(file);
    if (text === undefined) throw new Error(`internal: ${file} was not checked to exist`);
    const { result, owners } = update(text);
    this.record(file, owners, text, result);
  }

  /** Creates or replaces `file` with `text` (e.g. a mirrored changelog). */
  async write(file: string, owner: Target, result: EditResult): Promise<void> {
    const text = await this.current(file);
    this.record(file, [owner], text, result);
  }

  private record(
    file: string,
    owners: readonly Target[],
    text: string | undefined,
    result: EditResult,
  ): void {
    const draft = this.#drafts.get(file) ?? {
      before: text,
      text: text ?? "",
      edits: [],
      owners: new Set<Target>(),
    };
    draft.text = result.text;
    const relativeFile = this.relative(file);
    draft.edits.push(
      ...result.edits
        .filter((edit) => edit.from !== edit.to)
        .map((edit) => ({ file: relativeFile, ...edit, from: shownValue(edit.field, edit.from) })),
    );
    if (result.text !== text) for (const owner of owners) draft.owners.add(owner);
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
        owners: [...draft.owners],
        targets: [...new Set([...draft.owners].map(targetLabel))],
      }))
      .sort((a, b) => a.relativeFile.localeCompare(b.relativeFile));
  }
}
