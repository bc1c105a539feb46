import { randomBytes } from "node:crypto";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";

export type CiProvider = "github-actions" | "gitlab" | "none";

export interface CiInfo {
  provider: CiProvider;
  /** `owner/name` of the building repository, when the CI says. */
  repository?: string;
  /** GitHub Actions with `permissions: id-token: write`, or GitLab with an `NPM_ID_TOKEN` ID token. */
  idTokenAvailable: boolean;
}

/** Which CI runs us, from its own variables. */
export function detectCi(env: NodeJS.ProcessEnv = process.env): CiInfo {
  if (env.GITHUB_ACTIONS === "true") {
    return {
      provider: "github-actions",
      ...(env.GITHUB_REPOSITORY ? { repository: env.GITHUB_REPOSITORY } : {}),
      idTokenAvailable: Boolean(
        env.NPM_ID_TOKEN || (env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN),
      ),
    };
  }
  if (env.GITLAB_CI === "true") {
    return {
      provider: "gitlab",
      ...(env.CI_PROJECT_PATH ? { repository: env.CI_PROJECT_PATH } : {}),
      idTokenAvailable: Boolean(env.NPM_ID_TOKEN),
    };
  }
  return { provider: "none", idTokenAvailable: false };
}

/**
 * Appends `name` to `GITHUB_OUTPUT` in the heredoc form with a random delimiter, so a value holding newlines
 * (or a line that looks like a delimiter) cannot end the value early or inject another output.
 * Does nothing when `GITHUB_OUTPUT` is unset.
 */
export function setOutput(name: string, value: string, env: NodeJS.ProcessEnv = process.env): void {
  if (/[\r\n=]/.test(name) || name === "") throw new Error(`invalid output name: ${JSON.stringify(name)}`);
  if (env[DOTENV_OUTPUT]) setDotenvOutput(env[DOTENV_OUTPUT], name, value);
  const file = env.GITHUB_OUTPUT;
  if (!file) return;
  let delimiter = `ghadelimiter_${randomBytes(16).toString("hex")}`;
  while (value.includes(delimiter)) delimiter = `ghadelimiter_${randomBytes(16).toString("hex")}`;
  appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
}

/**
 * The variable naming a dotenv file that receives every output too (`--dotenv FILE` sets it): GitLab CI has no
 * GITHUB_OUTPUT; a job passes values on with `artifacts: reports: dotenv: FILE`.
 */
export const DOTENV_OUTPUT = "POLYGLOT_OUTPUT_DOTENV";

/** `pypi-packages` -> `PYPI_PACKAGES`: the variable name a later GitLab job reads. */
export function dotenvName(output: string): string {
  return output.replace(/[^A-Za-z0-9]+/g, "_").toUpperCase();
}

/**
 * Sets `NAME=value` in a dotenv file (one line per name; a later value replaces an earlier one). GitLab's dotenv
 * reports take no multi-line values: a value with a line break is refused rather than cut.
 */
export function setDotenvOutput(file: string, output: string, value: string): void {
  if (/[\r\n]/.test(value)) throw new Error(`output ${output}: a dotenv value cannot hold a line break`);
  const name = dotenvName(output);
  let lines: string[] = [];
  try {
    lines = readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line !== "");
  } catch {}
  const kept = lines.filter((line) => !line.startsWith(`${name}=`));
  writeFileSync(file, `${[...kept, `${name}=${value}`].join("\n")}\n`);
}

/** Reads a dotenv file written by `setDotenvOutput` back. */
export function parseDotenvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) values[line.slice(0, at)] = line.slice(at + 1);
  }
  return values;
}

/** Reads a `GITHUB_OUTPUT` file back (both `name=value` and heredoc entries); later entries win. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? "";
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = "", delimiter] = heredoc;
      const end = lines.indexOf(delimiter ?? "", index + 1);
      if (end === -1) throw new Error(`output ${name}: missing delimiter`);
      outputs[name] = lines.slice(index + 1, end).join("\n");
      index = end;
    } else if (line.includes("=")) {
      const at = line.indexOf("=");
      outputs[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return outputs;
}

/** Appends markdown to the job summary (`GITHUB_STEP_SUMMARY`); does nothing outside GitHub Actions. */
export function appendSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return;
  appendFileSync(file, markdown.endsWith("\n") ? markdown : `${markdown}\n`);
}

/**
 * Asks the GitHub Actions runner to hide `secret` in every later log line. The command line itself is consumed
 * by the runner and never shown. Outside GitHub Actions nothing is written.
 */
export function mask(
  secret: string,
  env: NodeJS.ProcessEnv = process.env,
  write: (text: string) => void = (text) => writeCommand(process.stdout, text),
): void {
  if (env.GITHUB_ACTIONS !== "true" || secret === "") return;
  // The runner splits lines at a lone CR too, and unescapes the data: each piece is masked as it is.
  for (const line of secret.split(/\r\n|\r|\n/)) if (line) write(`::add-mask::${escapeData(line)}\n`);
}

export interface AnnotationPlace {
  file?: string;
  line?: number;
  title?: string;
}

/**
 * A GitHub Actions annotation (`::error file=..,line=..::message`), escaped as the runner expects;
 * elsewhere the plain `level: message` line. Returned, so callers choose the stream.
 */
export function formatAnnotation(
  level: "error" | "warning" | "notice",
  message: string,
  where: AnnotationPlace = {},
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (env.GITHUB_ACTIONS !== "true") {
    const place = where.file ? `${where.file}${where.line ? `:${where.line}` : ""}: ` : "";
    return `${level}: ${place}${message}\n`;
  }
  const properties = [
    where.file ? `file=${escapeProperty(where.file)}` : "",
    where.line ? `line=${where.line}` : "",
    where.title ? `title=${escapeProperty(where.title)}` : "",
  ].filter(Boolean);
  const head = properties.length > 0 ? ` ${properties.join(",")}` : "";
  return `::${level}${head}::${escapeData(message)}\n`;
}

/**
 * Writes an annotation to `stream`: on GitHub Actions as a command (its data escaped), elsewhere as the plain
 * line, which the guard treats as any other text.
 */
export function annotate(
  level: "error" | "warning" | "notice",
  message: string,
  where: AnnotationPlace = {},
  env: NodeJS.ProcessEnv = process.env,
  stream: NodeJS.WritableStream = process.stdout,
): void {
  const line = formatAnnotation(level, message, where, env);
  if (env.GITHUB_ACTIONS === "true") writeCommand(stream, line);
  else stream.write(line);
}

function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

// White space the runner trims before it looks for `::` (.NET's, which also counts U+0085), without line ends.
const BLANK = "(?:[^\\S\\r\\n]|[\\u0085\\u180e\\u200b])*";
const COMMAND_AFTER_LINE_BREAK = new RegExp(`([\\r\\n])(${BLANK}::)`, "g");
const COMMAND_AT_START = new RegExp(`^(${BLANK}::)`);
/** The end of a text that the next chunk may still turn into `::` at a line start, or into `##[`. */
const UNDECIDED_END = new RegExp(`(?:(^|[\\r\\n])${BLANK}:?|##?)$`);

/**
 * Text that cannot start a workflow command. The GitHub runner reads a line as a command when it starts with
 * `::` after leading white space, or holds the legacy `##[`; such a line gets a `| ` prefix and `##[` becomes
 * `## [`. `atLineStart`: whether `text` begins at the start of a line.
 */
export function neutralizeWorkflowCommands(text: string, atLineStart = true): string {
  const lines = text.replace(COMMAND_AFTER_LINE_BREAK, "$1| $2").replace(/##\[/g, "## [");
  return atLineStart ? lines.replace(COMMAND_AT_START, "| $1") : lines;
}

/**
 * A stream for everything a CLI prints: no text written to it can start a workflow command, however it is
 * split into chunks (child output is piped through it too). The suite's own commands (masks, annotations)
 * are written with `writeCommand`, the only way past the guard.
 */
export class CommandSafeStream extends Writable {
  #atLineStart = true;
  /** The undecided end of the last chunk, kept until the next one says what it is. */
  #held = "";
  /** Child output arrives as bytes: a character split between two chunks is joined first. */
  readonly #decoder = new StringDecoder("utf8");

  constructor(readonly target: NodeJS.WritableStream) {
    super({ decodeStrings: false });
  }

  /** Writes one workflow command line the suite built itself (its data already escaped). */
  command(line: string): void {
    this.#emit(this.#takeHeld());
    // A command counts only at the start of a line: end a partial line (child output without a newline) first.
    if (!this.#atLineStart) this.target.write("\n");
    this.target.write(line);
    this.#atLineStart = /[\r\n]$/.test(line);
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const text = this.#takeHeld() + (Buffer.isBuffer(chunk) ? this.#decoder.write(chunk) : String(chunk));
    const undecided = UNDECIDED_END.exec(text);
    const lineStartAtZero = undecided?.index === 0 && undecided[1] === "" && !this.#atLineStart;
    const holdFrom =
      !undecided || lineStartAtZero ? text.length : undecided.index + (undecided[1]?.length ?? 0);
    this.#held = text.slice(holdFrom);
    this.#emit(text.slice(0, holdFrom));
    done();
  }

  /** Writes out a held line start (before the process exits). */
  flush(): void {
    this.#emit(this.#takeHeld());
  }

  override _final(done: (error?: Error | null) => void): void {
    this.#emit(this.#takeHeld() + this.#decoder.end());
    done();
  }

  #takeHeld(): string {
    const held = this.#held;
    this.#held = "";
    return held;
  }

  #emit(text: string): void {
    if (text === "") return;
    this.target.write(neutralizeWorkflowCommands(text, this.#atLineStart));
    this.#atLineStart = /[\r\n]$/.test(text);
  }
}

/** Writes a workflow command the suite built: through the guard's own door when `stream` is guarded. */
export function writeCommand(stream: NodeJS.WritableStream, line: string): void {
  if (stream instanceof CommandSafeStream) stream.command(line);
  else stream.write(line);
}
