/** One changed value: `field` names it (e.g. `project.version`, `package[3].version`), `from` / `to` its text. */
export interface FieldEdit {
  field: string;
  from: string;
  to: string;
}

/** What every updater returns: the new text (the same string when nothing changed) and what changed. */
export interface EditResult {
  text: string;
  edits: FieldEdit[];
}

/** Optional context for errors: the repo-relative file the text came from. */
export interface EditOptions {
  file?: string;
}

/** A lock file's edit with the packages whose entries it changed, by the name the lock file gives them. */
export interface LockEdit {
  result: EditResult;
  packages: ReadonlySet<string>;
}
