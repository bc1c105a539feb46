// Helpers of `pnpm demo`: output, child processes, hermetic environments, GitHub Actions files.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { delimiter, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is scripts/demo/lib.mjs). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The Node running the demo (Node 22 from node_modules/.bin/node under `pnpm demo`). */
export const NODE = process.execPath;

const secrets = new Set();
let verboseOutput = false;

/** `--verbose`: every command's whole output. */
export function setVerbose(value) {
  verboseOutput = value;
}

/** Remembers a secret: every line the demo prints goes through `redact`. */
export function secret(value) {
  if (typeof value === "string" && value.length >= 8) secrets.add(value);
  return value;
}

export function redact(text) {
  let out = String(text);
  for (const value of secrets) out = out.split(value).join("***");
  return out;
}

export const log = (line = "") => process.stdout.write(`${redact(line)}\n`);

/** A numbered step header: `[3/7] Seed the first versions`. */
export function stepper(total) {
  let n = 0;
  const starts = [];
  const step = (title) => {
    n += 1;
    starts.push(performance.now());
    log();
    log(`[${n}/${total}] ${title}`);
  };
  /** `1: 0.4 s, 2: 1.1 s, ...` for the steps run so far. */
  step.timings = () =>
    starts.map((start, i) => `${i + 1}: ${seconds((starts[i + 1] ?? performance.now()) - start)}`).join(", ");
  return step;
}

/** Indented notes under the current step. */
export const note = (text = "") => {
  for (const line of String(text).split("\n")) log(`    ${line}`);
};

/**
 * Output lines as a log viewer shows them: ANSI escapes and spinner frames removed, and `::add-mask::` workflow
 * commands applied as the Actions runner does (the value is masked everywhere, the command is not shown).
 */
export function cleanLines(text) {
  return (
    String(text)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences
      .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
      .replace(/\r/g, "")
      .split("\n")
      .filter((line) => {
        const masked = /^::add-mask::(.+)$/.exec(line.trim());
        if (masked) secret(masked[1]);
        return !masked && line !== "" && !/━━━━/.test(line);
      })
  );
}

/**
 * Child output, indented behind a bar; at most `max` lines (the rest are counted, not shown). `tail` shows the
 * last lines instead of the first (for failures, where the error is at the end).
 */
export function showOutput(text, max = 40, { tail = false, filter } = {}) {
  const lines = cleanLines(text).filter((line) => !filter || filter(line));
  if (tail && lines.length > max) log(`    | ... (${lines.length - max} lines before)`);
  for (const line of tail ? lines.slice(-max) : lines.slice(0, max)) log(`    | ${line}`);
  if (!tail && lines.length > max) log(`    | ... (${lines.length - max} more lines)`);
}

const running = new Set();

/** Stops every child still running (on Ctrl-C or SIGTERM); resolves once they exited (at most `waitMs`). */
export function killChildren(waitMs = 3000) {
  const exited = [...running].map((child) => new Promise((resolve) => child.once("close", resolve)));
  for (const child of running) child.kill("SIGTERM");
  return Promise.race([Promise.all(exited), new Promise((resolve) => setTimeout(resolve, waitMs))]);
}

/** Quotes an argument for the `$ command` lines. */
const shellQuote = (arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`);

/**
 * Runs a command (never through a shell), prints `$ command` and its output, resolves `{code, stdout, stderr}`.
 * Throws when it exits non-zero unless `allowFail`. `display` replaces the printed command line.
 * Async on purpose: the registries run in this process and must keep answering while the child runs.
 */
export function run(cmd, args, options = {}) {
  const {
    cwd,
    env,
    display,
    allowFail = false,
    quiet = false,
    maxLines = 40,
    timeoutMs = 180_000,
    verbose = verboseOutput,
    filter,
  } = options;
  if (!quiet) log(`    $ ${display ?? [cmd, ...args].map(shellQuote).join(" ")}`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let stdout = "";
    let stderr = "";
    let all = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      all += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      all += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("error", (error) => {
      running.delete(child);
      clearTimeout(timer);
      reject(new Error(`could not start ${cmd}: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      const result = { code: code ?? 1, signal, stdout, stderr, all };
      const failedHere = result.code !== 0 && !allowFail;
      if (!quiet) {
        showOutput(all, verbose ? Number.POSITIVE_INFINITY : failedHere ? Math.max(maxLines, 30) : maxLines, {
          tail: failedHere,
          filter: failedHere || verbose ? undefined : filter,
        });
      }
      if (failedHere) {
        const why = signal
          ? `was stopped (${signal}${signal === "SIGTERM" ? ", timeout" : ""})`
          : `exited ${code}`;
        const error = new Error(`${display ?? [cmd, ...args].join(" ")} ${why}`);
        error.result = result;
        if (quiet) error.output = all;
        reject(error);
      } else resolvePromise(result);
    });
  });
}

/**
 * The environment of every child: PATH (`path` first, then this Node's folder, then the system's without any
 * node_modules folder), a throwaway HOME with an empty user npmrc, hermetic git, no colours, and none of the
 * parent's npm, CI, GitHub or token variables (a demo run from a real CI job must not see its credentials).
 */
export function cleanEnv({ home, tmp, path = [], extra = {} }) {
  const systemPath = (process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin")
    .split(delimiter)
    .filter((dir) => dir !== "" && !dir.includes("node_modules"));
  const env = {
    PATH: [...path, dirname(NODE), ...systemPath].join(delimiter),
    HOME: home,
    LANG: "C.UTF-8",
    // Children's temp files (npm, pnpm, polyglot-publish's pack dir, python -m build) go where the demo removes them.
    TMPDIR: tmp ?? process.env.TMPDIR,
    ...(process.env.TERM ? { TERM: process.env.TERM } : {}),
    NO_COLOR: "1",
    npm_config_userconfig: `${home}/.npmrc`,
    npm_config_cache: `${home}/.npm`,
    npm_config_update_notifier: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    PYTHONDONTWRITEBYTECODE: "1",
    ...extra,
  };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

/** Names of variables that carry long-lived publish credentials (printed by name only, never by value). */
export function tokenVariables(env) {
  return Object.keys(env).filter((name) =>
    /^(NPM_TOKEN|NODE_AUTH_TOKEN|NPM_CONFIG__AUTH|npm_config__auth|.*_authToken|TWINE_PASSWORD|PYPI_TOKEN|GITHUB_TOKEN)/i.test(
      name,
    ),
  );
}

/** Parses a GITHUB_OUTPUT file: `name=value` lines and `name<<DELIMITER` heredocs. Later values win. */
export function parseGithubOutput(text) {
  const out = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, "");
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiterLine] = heredoc;
      const value = [];
      for (i += 1; i < lines.length && lines[i].replace(/\r$/, "") !== delimiterLine; i++)
        value.push(lines[i]);
      out[name] = value.join("\n");
    } else if (line.includes("=")) {
      const at = line.indexOf("=");
      out[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return out;
}

export async function readGithubOutput(file) {
  return existsSync(file) ? parseGithubOutput(await readFile(file, "utf8")) : {};
}

/** A fixed-width text table (first row is the header). */
export function table(rows) {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => String(row[col]).length)));
  const line = (row) => `| ${row.map((cell, col) => String(cell).padEnd(widths[col])).join(" | ")} |`;
  return [
    line(rows[0]),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.slice(1).map(line),
  ].join("\n");
}

export const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
