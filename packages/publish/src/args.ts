import { parseArgs } from "node:util";
import { closestNames, PolyglotError } from "@polyglot-changesets/core";
import type { OidcMode } from "./preflight.js";
import type { PypiUploadArgs } from "./pypi-upload/command.js";

export type { PypiUploadArgs } from "./pypi-upload/command.js";

export type PypiTrigger = "outputs" | "dispatch" | "none";

export interface PublishArgs {
  /** `--dotenv FILE`: the outputs also as `NAME=value` lines (GitLab's dotenv reports). */
  dotenv?: string;
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
  /** Release gates (guards/): `--allow-dirty`, `--no-reproducible`, `--smoke`, `--stage`, `--after-approval`. */
  guards: GuardArgs;
}

export interface GuardArgs {
  /** Globs of repo paths the build is expected to change (`--allow-dirty`, repeatable). */
  allowDirty: string[];
  /** `--reproducible`: pack each npm package twice and compare (off by default: its cost, docs/benchmarks.md). */
  reproducible: boolean;
  /** `--smoke CMD`: install the published packages into a temp project and run CMD there. */
  smoke?: string;
  /** `--stage`: npm staged publishing instead of a publish. */
  stage: boolean;
  /** `--after-approval`: publish nothing to npm; tag and hand off what was approved. */
  afterApproval: boolean;
}

export interface DoctorArgs {
  /** `--dotenv FILE`: the outputs also as `NAME=value` lines (GitLab's dotenv reports). */
  dotenv?: string;
  command: "doctor";
  oidc: OidcMode;
  provenance: boolean;
  /** `--workflows`: only the static checks of the CI files (workflows/). */
  workflows: boolean;
  json: boolean;
  cwd: string;
  guards: Pick<GuardArgs, "allowDirty" | "reproducible">;
}

export interface RollbackArgs {
  command: "rollback";
  /** A version (`1.2.3`) or a git tag (`@scope/pkg@1.2.3`, `v1.2.3`). */
  target: string;
  message?: string;
  dryRun: boolean;
  /** `--unpublish`: unpublish npm versions instead of deprecating them (npm allows it within 72 hours). */
  unpublish: boolean;
  json: boolean;
  cwd: string;
}

export interface PypiCheckArgs {
  /** `--dotenv FILE`: the outputs also as `NAME=value` lines (GitLab's dotenv reports). */
  dotenv?: string;
  command: "pypi-check";
  index?: string;
  failIfExists: boolean;
  json: boolean;
  cwd: string;
}

export type Command = "publish" | "doctor" | "pypi-check" | "pypi-upload" | "rollback";

export type CliArgs =
  | PublishArgs
  | DoctorArgs
  | PypiCheckArgs
  | PypiUploadArgs
  | RollbackArgs
  | { command: "help"; topic: Command }
  | { command: "version" };

const DOCS = "https://github.com/polyglot-changesets/polyglot-changesets/tree/main/packages/publish#readme";
const TROUBLESHOOTING =
  "https://github.com/polyglot-changesets/polyglot-changesets/blob/main/docs/troubleshooting.md";

interface OptionSpec {
  type: "boolean" | "string";
  multiple?: boolean;
  value?: string;
  help: string;
}

const COMMON: Record<string, OptionSpec> = {
  json: { type: "boolean", help: "print the result as JSON on stdout (human lines go to stderr)" },
  dotenv: {
    type: "string",
    value: "FILE",
    help: "also write the outputs to FILE as NAME=value lines (GitLab: artifacts: reports: dotenv)",
  },
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

const GUARDS: Record<string, OptionSpec> = {
  "allow-dirty": {
    type: "string",
    multiple: true,
    value: "PATTERN",
    help: "a path glob the build may change without failing the clean-tree check (repeatable)",
  },
  reproducible: {
    type: "boolean",
    help: "pack each npm package twice and compare the tarballs (off by default: it adds ~60% to the publish)",
  },
  "no-reproducible": { type: "boolean", help: "do not pack twice to compare (the default)" },
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
    ...GUARDS,
    smoke: {
      type: "string",
      value: "CMD",
      help: "after publishing, install the published packages from the registry in a temp project and run CMD",
    },
    stage: {
      type: "boolean",
      help: "stage the npm packages (npm stage publish) for a maintainer's approval instead of publishing",
    },
    "after-approval": {
      type: "boolean",
      help: "after staged versions were approved: tag them and hand off PyPI; publishes nothing to npm",
    },
    ...COMMON,
  },
  doctor: {
    workflows: {
      type: "boolean",
      help: "only check the CI files that run the release (.github/workflows, .gitlab-ci.yml)",
    },
    ...OIDC,
    ...GUARDS,
    ...COMMON,
  },
  "pypi-check": {
    index: {
      type: "string",
      value: "URL",
      help: "the package index (default: pypi.index, https://pypi.org)",
    },
    "fail-if-exists": { type: "boolean", help: "exit 1 when a version is already on the index" },
    ...COMMON,
  },
  "pypi-upload": {
    index: {
      type: "string",
      value: "URL",
      help: "the package index (default: pypi.index, https://pypi.org)",
    },
    oidc: {
      type: "string",
      value: "require|auto|off",
      help: "auto (default): trusted publishing where the CI offers an ID token, else PYPI_API_TOKEN; require; off",
    },
    "skip-existing": { type: "boolean", help: "skip files already on the index (the default)" },
    "no-skip-existing": { type: "boolean", help: "stop when a file is already on the index" },
    "dry-run": {
      type: "boolean",
      help: "check files, index, credential source and twine; mint and upload nothing",
    },
    ...COMMON,
  },
  rollback: {
    message: {
      type: "string",
      value: "TEXT",
      help: "the deprecation message (default: names the release and says to upgrade)",
    },
    "dry-run": { type: "boolean", help: "print the plan; change nothing" },
    unpublish: {
      type: "boolean",
      help: "unpublish the npm versions instead of deprecating them (only within npm's 72 hours)",
    },
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
  "pypi-upload":
    "Uploads built distributions (PATH...: files or folders) with twine: through PyPI trusted publishing (a token\nminted from the CI's ID token: GitHub Actions, or GitLab's PYPI_ID_TOKEN), skipping files already on the index.\nWrites the `pypi-uploaded` output.",
  rollback:
    "Plans and runs what can be undone of a release (a version or a git tag): npm deprecate and dist-tag back,\nnpm unpublish when asked (72 hours), cargo yank, and the PyPI yank URLs. Needs an interactive npm login or a\ntoken: an OIDC token cannot deprecate. Docs: docs/rollback.md.",
};

const EXIT_CODES: Record<Command, string> = {
  publish:
    "0 published or nothing to do, 1 a publish, dispatch or look-up failed (re-run to finish), 2 bad usage\nor configuration, or a preflight error (nothing was published)",
  doctor: "0 no error finding, 1 a passing fault (re-run), 2 an error finding or bad usage",
  "pypi-check": "0 checked, 1 the index could not be read or --fail-if-exists found a version, 2 bad usage",
  "pypi-upload":
    "0 uploaded or nothing to do, 1 a passing fault (index, network, expired token: re-run), 2 a setting to fix\n(trusted publisher, ID token, file names) or bad usage",
  rollback:
    "0 every step done (or planned under --dry-run), 1 a step failed (re-run), 2 bad usage or nothing to roll back",
};

function synopsis(command: Command): string {
  const flags = Object.entries(OPTIONS[command])
    .filter(([name]) => name !== "provenance" && name !== "no-reproducible")
    .map(([name, spec]) => `[--${name}${spec.value ? ` ${spec.value}` : ""}]`);
  const positional = command === "rollback" ? " <version-or-tag>" : "";
  const paths = command === "pypi-upload" ? " PATH..." : "";
  return `polyglot-publish${command === "publish" ? "" : ` ${command}`}${positional} ${flags.join(" ")}${paths}`;
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
          `  ${"init".padEnd(34)} sets up a repo: config, scripts and a release workflow`,
          `  ${"trust".padEnd(34)} creates the npm trusted publishers (npm trust); prints PyPI/crates.io values`,
          `  ${"pypi-upload".padEnd(34)} uploads built Python distributions with twine through trusted publishing`,
          `  ${"rollback".padEnd(34)} deprecates (or unpublishes) a release and prints the yank steps`,
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
  const commands = ["doctor", "pypi-check", "pypi-upload", "rollback"] as const;
  const named = commands.find((command) => command === first);
  if (named) return named;
  // init and trust are parsed by onboarding-args.ts; named here for the did-you-mean
  throw usageError(
    `unknown command ${JSON.stringify(first)}${didYouMean(first, [...commands, "init", "trust"])}`,
    "publish",
  );
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
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: command === "pypi-upload" || command === "rollback",
      options: {
        ...Object.fromEntries(
          Object.entries(OPTIONS[command]).map(([name, spec]) => [
            name,
            { type: spec.type, ...(spec.multiple ? { multiple: true } : {}) },
          ]),
        ),
        help: { type: "boolean", short: "h" },
      },
    }));
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
  if (command === "rollback") return rollbackArgs(values, positionals, json, cwd);
  const guards = {
    allowDirty: (values["allow-dirty"] as string[] | undefined) ?? [],
    // Off by default: the bench measured it above issue 13's 20% of the publish (docs/benchmarks.md).
    reproducible: values.reproducible === true && values["no-reproducible"] !== true,
  };
  const dotenv = typeof values.dotenv === "string" ? { dotenv: values.dotenv } : {};
  if (command === "doctor")
    return { command, oidc, provenance, workflows: values.workflows === true, json, cwd, guards, ...dotenv };
  if (command === "pypi-upload") {
    const index = values.index as string | undefined;
    if (index !== undefined && !/^https?:\/\//.test(index))
      throw usageError("--index must be an http(s) URL", command, "--index");
    if (values["skip-existing"] === true && values["no-skip-existing"] === true)
      throw usageError(
        "--skip-existing and --no-skip-existing contradict each other",
        command,
        "--skip-existing",
      );
    return {
      command,
      ...(index ? { index } : {}),
      oidc,
      skipExisting: values["no-skip-existing"] !== true,
      dryRun: values["dry-run"] === true,
      json,
      cwd,
      paths: positionals,
      ...dotenv,
    };
  }
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
      ...dotenv,
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
  const smoke = values.smoke as string | undefined;
  if (smoke !== undefined && smoke.trim() === "")
    throw usageError("--smoke needs a command", command, "--smoke");
  if (values.stage === true && values["after-approval"] === true) {
    throw usageError(
      "--stage and --after-approval are two runs: stage first, approve, then --after-approval",
      command,
      "--stage",
    );
  }
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
    ...dotenv,
    guards: {
      ...guards,
      ...(smoke ? { smoke } : {}),
      stage: values.stage === true,
      afterApproval: values["after-approval"] === true,
    },
  };
}

function rollbackArgs(
  values: Record<string, string | boolean | string[] | undefined>,
  positionals: string[],
  json: boolean,
  cwd: string,
): RollbackArgs {
  const [target, ...extra] = positionals;
  if (!target)
    throw usageError("rollback needs the version or git tag of the release to roll back", "rollback");
  if (extra.length > 0)
    throw usageError(`rollback takes one version or tag (got also ${extra.join(" ")})`, "rollback");
  const message = values.message as string | undefined;
  if (message !== undefined && (message.trim() === "" || /[\r\n]/.test(message))) {
    throw usageError("--message must be one non-empty line", "rollback", "--message");
  }
  return {
    command: "rollback",
    target,
    ...(message ? { message } : {}),
    dryRun: values["dry-run"] === true,
    unpublish: values.unpublish === true,
    json,
    cwd,
  };
}
