import { parseArgs } from "node:util";
import { closestNames, PolyglotError } from "@polyglot-changesets/core";
import type { OidcMode } from "./preflight.js";

export type PypiTrigger = "outputs" | "dispatch" | "none";

export interface PublishArgs {
  command: "publish";
  dryRun: boolean;
  oidc: OidcMode;
  provenance: boolean;
  tag?: string;
  /** `--no-git-tag`: no git tags (snapshots), as `changeset publish --no-git-tag`. */
  gitTag: boolean;
  pypiTrigger: PypiTrigger;
  pypiWorkflow?: string;
  json: boolean;
  cwd: string;
}

export interface DoctorArgs {
  command: "doctor";
  oidc: OidcMode;
  provenance: boolean;
  json: boolean;
  cwd: string;
}

export interface PypiCheckArgs {
  command: "pypi-check";
  index?: string;
  failIfExists: boolean;
  json: boolean;
  cwd: string;
}

export type Command = "publish" | "doctor" | "pypi-check";

export type CliArgs =
  | PublishArgs
  | DoctorArgs
  | PypiCheckArgs
  | { command: "help"; topic: Command }
  | { command: "version" };

const DOCS = "https://github.com/polyglot-changesets/polyglot-changesets/tree/main/packages/publish#readme";
const TROUBLESHOOTING =
  "https://github.com/polyglot-changesets/polyglot-changesets/blob/main/docs/troubleshooting.md";

interface OptionSpec {
  type: "boolean" | "string";
  value?: string;
  help: string;
}

const COMMON: Record<string, OptionSpec> = {
  json: { type: "boolean", help: "print the result as JSON on stdout (human lines go to stderr)" },
  cwd: { type: "string", value: "DIR", help: "run in DIR (default: the current directory)" },
};
const OIDC: Record<string, OptionSpec> = {
  oidc: {
    type: "string",
    value: "require|auto|off",
    help: "auto (default): OIDC where the CI offers an ID token; require: fail without one; off: never",
  },
  "no-provenance": { type: "boolean", help: "publish without provenance (on by default under OIDC)" },
  provenance: { type: "boolean", help: "publish with provenance (the default)" },
};

const OPTIONS: Record<Command, Record<string, OptionSpec>> = {
  publish: {
    "dry-run": { type: "boolean", help: "plan and run every check; publish, tag and trigger nothing" },
    ...OIDC,
    tag: {
      type: "string",
      value: "T",
      help: "npm dist-tag for every package (default: latest, or the pre tag)",
    },
    "no-git-tag": {
      type: "boolean",
      help: "create no git tags (snapshot releases), as changeset publish --no-git-tag",
    },
    "pypi-trigger": {
      type: "string",
      value: "outputs|dispatch|none",
      help: "how the PyPI job starts: a needs: job reads the outputs (default), or workflow_dispatch",
    },
    "pypi-workflow": {
      type: "string",
      value: "FILE",
      help: "the workflow to dispatch (default: pypi.workflow)",
    },
    ...COMMON,
  },
  doctor: { ...OIDC, ...COMMON },
  "pypi-check": {
    index: {
      type: "string",
      value: "URL",
      help: "the package index (default: pypi.index, https://pypi.org)",
    },
    "fail-if-exists": { type: "boolean", help: "exit 1 when a version is already on the index" },
    ...COMMON,
  },
};

const SUMMARY: Record<Command, string> = {
  publish:
    "Publishes the workspace's unpublished npm packages through Changesets, with OIDC trusted publishing and\nprovenance, tags private packages, and hands the Python targets to the PyPI job.",
  doctor:
    "Plans and runs every preflight check of a publish, and prints each finding with its fix. Publishes nothing.",
  "pypi-check":
    "Checks each PyPI target's canonical version against the index and writes the `pypi` and `pypi-packages`\noutputs for the versions not there yet.",
};

const EXIT_CODES: Record<Command, string> = {
  publish:
    "0 published or nothing to do, 1 a publish, dispatch or look-up failed (re-run to finish), 2 bad usage\nor configuration, or a preflight error (nothing was published)",
  doctor: "0 no error finding, 1 a passing fault (re-run), 2 an error finding or bad usage",
  "pypi-check": "0 checked, 1 the index could not be read or --fail-if-exists found a version, 2 bad usage",
};

function synopsis(command: Command): string {
  const flags = Object.entries(OPTIONS[command])
    .filter(([name]) => name !== "provenance")
    .map(([name, spec]) => `[--${name}${spec.value ? ` ${spec.value}` : ""}]`);
  return `polyglot-publish${command === "publish" ? "" : ` ${command}`} ${flags.join(" ")}`;
}

export const USAGE = `usage:
${(Object.keys(OPTIONS) as Command[]).map((command) => `  ${synopsis(command)}`).join("\n")}

Run polyglot-publish COMMAND --help for a command's flags and exit codes. Docs: ${DOCS}`;

/** The help of one command: synopsis, what it does, every flag, exit codes and where the docs are. */
export function helpText(command: Command): string {
  const rows = Object.entries(OPTIONS[command]).map(([name, spec]) => {
    const flag = `--${name}${spec.value ? ` ${spec.value}` : ""}`;
    return `  ${flag.padEnd(34)} ${spec.help}`;
  });
  return [
    `usage: ${synopsis(command)}`,
    "",
    SUMMARY[command],
    "",
    ...(command === "publish"
      ? [
          "Commands:",
          `  ${"doctor".padEnd(34)} ${SUMMARY.doctor.split(".")[0]}`,
          `  ${"pypi-check".padEnd(34)} checks which PyPI targets' versions the index lacks (for the PyPI job)`,
          "  (polyglot-publish COMMAND --help for each)",
          "",
        ]
      : []),
    "Options:",
    ...rows,
    `  ${"-h, --help".padEnd(34)} show this help`,
    `  ${"--version".padEnd(34)} print the version of polyglot-publish`,
    "",
    `Exit codes: ${EXIT_CODES[command]}.`,
    "",
    `Docs: ${DOCS}`,
    `Every finding and error: ${TROUBLESHOOTING}`,
  ].join("\n");
}

function usageError(message: string, command: Command, setting?: string): PolyglotError {
  return new PolyglotError(message, {
    code: "usage",
    ...(setting ? { setting } : {}),
    fix: `run polyglot-publish${command === "publish" ? "" : ` ${command}`} --help for the flags`,
    exitCode: 2,
  });
}

function didYouMean(word: string, candidates: Iterable<string>): string {
  const [best] = closestNames(word, candidates, 1);
  return best ? ` (did you mean ${best}?)` : "";
}

function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  flag: string,
  fallback: T,
  command: Command,
): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw usageError(
    `${flag} must be one of ${allowed.join(", ")} (got ${JSON.stringify(value)})${didYouMean(value, allowed)}`,
    command,
    flag,
  );
}

/** The command a command line names: a first word that is none is an error with the closest one. */
function commandOf(argv: readonly string[]): Command {
  const [first] = argv;
  if (first === undefined || first.startsWith("-")) return "publish";
  if (first === "doctor" || first === "pypi-check") return first;
  const commands = ["doctor", "pypi-check"];
  throw usageError(`unknown command ${JSON.stringify(first)}${didYouMean(first, commands)}`, "publish");
}

/** Every `--flag` must be one of the command's: an unknown one is named with the closest flag. */
function checkFlags(args: readonly string[], command: Command): void {
  const known = Object.keys(OPTIONS[command]);
  const everywhere = new Set(Object.values(OPTIONS).flatMap((options) => Object.keys(options)));
  for (const arg of args) {
    if (!arg.startsWith("--") || arg === "--") continue;
    const name = arg.slice(2).split("=")[0] ?? "";
    if (name === "help" || known.includes(name)) continue;
    const where = everywhere.has(name) ? `not an option of ${command}` : "an unknown option";
    throw usageError(
      `--${name} is ${where}${didYouMean(
        `--${name}`,
        known.map((flag) => `--${flag}`),
      )}`,
      command,
      `--${name}`,
    );
  }
}

/** Parses argv (without node and the script); bad usage is a PolyglotError with exit code 2. */
export function parseCliArgs(argv: readonly string[], defaults: { pypiWorkflow?: string } = {}): CliArgs {
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) return { command: "version" };
  const command = commandOf(argv);
  const args = command === "publish" ? [...argv] : argv.slice(1);
  checkFlags(args, command);
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(
          Object.entries(OPTIONS[command]).map(([name, spec]) => [name, { type: spec.type }]),
        ),
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    throw usageError((error as Error).message, command);
  }
  if (values.help) return { command: "help", topic: command };
  const cwd = typeof values.cwd === "string" ? values.cwd : process.cwd();
  const json = values.json === true;
  const oidc = oneOf(
    values.oidc as string | undefined,
    ["require", "auto", "off"] as const,
    "--oidc",
    "auto",
    command,
  );
  const provenance = values["no-provenance"] !== true;
  if (command === "doctor") return { command, oidc, provenance, json, cwd };
  if (command === "pypi-check") {
    const index = values.index as string | undefined;
    if (index !== undefined && !/^https?:\/\//.test(index))
      throw usageError("--index must be an http(s) URL", command, "--index");
    return {
      command,
      ...(index ? { index } : {}),
      failIfExists: values["fail-if-exists"] === true,
      json,
      cwd,
    };
  }
  const tag = values.tag as string | undefined;
  if (tag !== undefined && !/^[a-z0-9][\w.-]*$/i.test(tag))
    throw usageError(`--tag ${JSON.stringify(tag)} is not a valid npm dist-tag`, command, "--tag");
  const pypiTrigger = oneOf(
    values["pypi-trigger"] as string | undefined,
    ["outputs", "dispatch", "none"] as const,
    "--pypi-trigger",
    "outputs",
    command,
  );
  const pypiWorkflow = (values["pypi-workflow"] as string | undefined) ?? defaults.pypiWorkflow;
  return {
    command,
    dryRun: values["dry-run"] === true,
    oidc,
    provenance,
    ...(tag ? { tag } : {}),
    gitTag: values["no-git-tag"] !== true,
    pypiTrigger,
    ...(pypiWorkflow ? { pypiWorkflow } : {}),
    json,
    cwd,
  };
}
