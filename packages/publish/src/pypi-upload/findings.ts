import { type ErrorCode, type ErrorDetails, PolyglotError } from "@polyglot-changesets/core";

/**
 * An error of `pypi-upload` with a stable id (docs/troubleshooting.md has a section per id). The id leads the
 * message, as a finding's does, so a log line and the docs find each other.
 */
export class PypiUploadError extends PolyglotError {
  constructor(
    readonly id: ErrorCode,
    message: string,
    details: Omit<ErrorDetails, "code"> = {},
  ) {
    super(`[${id}] ${message}`, { ...details, code: id });
  }
}
