import { randomBytes } from "node:crypto";
import { appendFileSync } from "node:fs";

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
  const file = env.GITHUB_OUTPUT;
  if (!file) return;
  if (/[\r\n=]/.test(name) || name === "") throw new Error(`invalid output name: ${JSON.stringify(name)}`);
  let delimiter = `ghadelimiter_${randomBytes(16).toString("hex")}`;
  while (value.includes(delimiter)) delimiter = `ghadelimiter_${randomBytes(16).toString("hex")}`;
  appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
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
  write: (text: string) => void = (text) => process.stdout.write(text),
): void {
  if (env.GITHUB_ACTIONS !== "true" || secret === "") return;
  for (const line of secret.split(/\r?\n/)) if (line) write(`::add-mask::${line}\n`);
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

/** Writes an annotation to stdout (where the runner reads workflow commands). */
export function annotate(
  level: "error" | "warning" | "notice",
  message: string,
  where: AnnotationPlace = {},
  env: NodeJS.ProcessEnv = process.env,
): void {
  process.stdout.write(formatAnnotation(level, message, where, env));
}

function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
