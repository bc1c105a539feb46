import { Console } from "node:console";
import { CommandSafeStream } from "./ci.js";
import type { ErrorCode } from "./error-codes.js";

/** What a problem is (its stable code), where it is and how to fix it: every user-facing error carries these. */
export interface ErrorDetails extends ProblemLocation {
  /** The stable code of this kind of problem: the anchor of its section in docs/troubleshooting.md. */
  code: ErrorCode;
  /** Process exit code when this error ends a CLI run (2: bad usage or configuration). */
  exitCode?: number;
}

/** Where a problem is and how to fix it. */
export interface ProblemLocation {
  /** Path of the file at fault, relative to the repo root where possible. */
  file?: string;
  line?: number;
  /** The setting at fault, e.g. `pep440.next` in `.changeset/polyglot.json`. */
  setting?: string;
  /** One sentence telling the user what to do. */
  fix?: string;
}

/** A problem to print: its message with where it is and how to fix it. */
export interface Problem extends ProblemLocation {
  message: string;
}

/** `file:line: message [setting]` followed by an indented `fix:` line: the one way a problem is printed. */
export function formatProblem(problem: Problem): string {
  const where = problem.file ? `${problem.file}${problem.line ? `:${problem.line}` : ""}: ` : "";
  const setting = problem.setting ? ` [${problem.setting}]` : "";
  const fix = problem.fix ? `\n  fix: ${problem.fix}` : "";
  return `${where}${problem.message}${setting}${fix}`;
}

/** An actionable, user-facing error. Thrown before anything is written; printed without a stack trace. */
export class PolyglotError extends Error {
  readonly code: ErrorCode;
  readonly file?: string;
  readonly line?: number;
  readonly setting?: string;
  readonly fix?: string;
  readonly exitCode: number;

  constructor(message: string, details: ErrorDetails) {
    super(message);
    this.name = "PolyglotError";
    this.code = details.code;
    this.file = details.file;
    this.line = details.line;
    this.setting = details.setting;
    this.fix = details.fix;
    this.exitCode = details.exitCode ?? 2;
  }

  /** `file:line: message (setting)` followed by an indented `fix:` line. */
  format(): string {
    return formatProblem(this);
  }
}

/** Ends a CLI run with `exitCode` after the reason was already logged. */
export class ExitError extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = "ExitError";
  }
}

/** The process streams of a CLI run, guarded so that nothing printed can start a workflow command. */
export interface CliStreams {
  stdout: CommandSafeStream;
  stderr: CommandSafeStream;
}

/**
 * Runs a CLI main function with guarded streams: PolyglotErrors print as `error: ...` with their fix,
 * ExitErrors exit quietly.
 */
export async function runCli(
  main: (streams: CliStreams) => Promise<number | undefined>,
  prefix: string,
): Promise<never> {
  const streams = {
    stdout: new CommandSafeStream(process.stdout),
    stderr: new CommandSafeStream(process.stderr),
  };
  // Libraries that run in this process (the repo's Changesets libraries in-process, manypkg) print with
  // `console`, e.g. a repo file's text in an error: through the same guard, so none of it starts a workflow command.
  globalThis.console = new Console({ stdout: streams.stdout, stderr: streams.stderr });
  let code: number;
  try {
    code = (await main(streams)) ?? 0;
  } catch (error) {
    if (error instanceof ExitError) code = error.exitCode;
    else if (error instanceof PolyglotError) {
      writeError(streams.stderr, prefix, error);
      code = error.exitCode;
    } else {
      streams.stderr.write(
        `${prefix}: unexpected error: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      code = 1;
    }
  }
  streams.stdout.flush();
  streams.stderr.flush();
  // process.stdout to a pipe is asynchronous: exiting at once would cut what is still queued (e.g. a long --json).
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}

/** Resolves once everything written to `stream` before it has been handed to the OS. */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write("", () => resolve()));
}

/** Where a run writes; the CLI passes the guarded process streams, tests pass collectors. */
export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** The one printed form of an error: `<prefix>: error: <where>: <message> [setting]` and its `fix:` line. */
export function writeError(stream: NodeJS.WritableStream, prefix: string, error: PolyglotError): void {
  stream.write(`${prefix}: error: ${error.format()}\n`);
}
