import type { ErrorCode } from "@polyglot-changesets/core";

/** Where the generator's settings live; named in every configuration error. */
export const CONFIG_FILE = ".changeset/config.json";

/**
 * A mistake in the generator's settings. It is thrown from the generator so that `changeset version` stops
 * before writing anything: a config error should fail the run, unlike a network error, which never does.
 * The Changesets CLI prints only the message and stack, so the message carries the file, setting and fix.
 */
export class ChangelogConfigError extends Error {
  readonly code: ErrorCode = "changelog-option-invalid";
  readonly file = CONFIG_FILE;

  constructor(
    readonly setting: string,
    problem: string,
    readonly fix: string,
  ) {
    super(`${CONFIG_FILE}: @polyglot-changesets/changelog option "${setting}": ${problem}\n  fix: ${fix}`);
    this.name = "ChangelogConfigError";
  }
}
