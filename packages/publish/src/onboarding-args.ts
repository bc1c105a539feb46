// Flags of the onboarding commands `init` and `trust` (the publish commands' flags live in args.ts).
import { parseArgs } from "node:util";
import { closestNames, PolyglotError } from "@polyglot-changesets/core";

export interface InitArgs {
  command: "init";
  ci?: "github" | "gitlab";
  dryRun: boolean;
  json: boolean;
  cwd: string;
}

export interface TrustArgs {
  command: "trust";
  dryRun: boolean;
  yes: boolean;
  otp?: string;
  json: boolean;
  cwd: string;
}

export type OnboardingCommand = "init" | "trust";
export type OnboardingArgs = InitArgs | TrustArgs | { command: "help"; topic: OnboardingCommand };

/** What the onboarding commands print to and read from. */
export interface OnboardingIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Whether a person sits at the terminal (prompts of npm trust, confirmation). */
  interactive?: boolean;
}

interface Spec {
  type: "boolean" | "string";
  value?: string;
  help: string;
}

const COMMON: Record<string, Spec> = {
  json: { type: "boolean", help: "print the result as JSON on stdout (human lines go to stderr)" },
  cwd: { type: "string", value: "DIR", help: "run in DIR (default: the current directory)" },
};

const OPTIONS: Record<OnboardingCommand, Record<string, Spec>> = {
  init: {
    ci: {
      type: "string",
      value: "github|gitlab",
      help: "the CI to write the release workflow for (default: github)",
    },
    "dry-run": { type: "boolean", help: "print every file init would write; write nothing" },
    ...COMMON,
  },
  trust: {
    "dry-run": {
      type: "boolean",
      help: "list the trusted publishers each package needs and which are missing",
    },
    yes: {
      type: "boolean",
      help: "create the missing npm trusted publishers with npm trust, without asking",
    },
    otp: { type: "string", value: "CODE", help: "one-time password for npm's 2FA (else npm asks for it)" },
    ...COMMON,
  },
};

const SUMMARY: Record<OnboardingCommand, string> = {
  init: "Sets up an existing repo: .changeset/polyglot.json, the Changesets config pieces, the version-packages and\nrelease scripts and a release workflow (a patch when one exists); lists what to delete. Idempotent.",
  trust:
    "The trusted publisher every publishable npm package needs, compared with the registry (npm trust list); creates\nthe missing ones with npm trust and your interactive npm login (never in CI). Prints the PyPI and crates.io values.",
};

const EXIT_CODES: Record<OnboardingCommand, string> = {
  init: "0 done (or nothing to do), 1 a file could not be written, 2 bad usage or configuration",
  trust:
    "0 every publisher is in place (or --dry-run), 1 npm trust failed or publishers are missing, 2 bad usage",
};

export function onboardingHelp(command: OnboardingCommand): string {
  const flags = Object.entries(OPTIONS[command]);
  return [
    `usage: polyglot-publish ${command} ${flags.map(([name, spec]) => `[--${name}${spec.value ? ` ${spec.value}` : ""}]`).join(" ")}`,
    "",
    SUMMARY[command],
    "",
    "Options:",
    ...flags.map(
      ([name, spec]) => `  ${`--${name}${spec.value ? ` ${spec.value}` : ""}`.padEnd(34)} ${spec.help}`,
    ),
    `  ${"-h, --help".padEnd(34)} show this help`,
    "",
    `Exit codes: ${EXIT_CODES[command]}.`,
    "",
    "Docs: https://github.com/polyglot-changesets/polyglot-changesets/blob/main/docs/getting-started.md",
  ].join("\n");
}

export function isOnboardingCommand(word: string | undefined): word is OnboardingCommand {
  return word === "init" || word === "trust";
}

function usageError(message: string, command: OnboardingCommand, setting?: string): PolyglotError {
  return new PolyglotError(message, {
    code: "usage",
    ...(setting ? { setting } : {}),
    fix: `run polyglot-publish ${command} --help for the flags`,
    exitCode: 2,
  });
}

/** argv starting with `init` or `trust`. */
export function parseOnboardingArgs(argv: readonly string[]): OnboardingArgs {
  const command = argv[0] as OnboardingCommand;
  const known = Object.keys(OPTIONS[command]);
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv.slice(1),
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
    const flag = /'(--[\w-]+)/.exec((error as Error).message)?.[1];
    const [best] = flag
      ? closestNames(
          flag,
          known.map((name) => `--${name}`),
          1,
        )
      : [];
    throw usageError(`${(error as Error).message}${best ? ` (did you mean ${best}?)` : ""}`, command, flag);
  }
  if (values.help) return { command: "help", topic: command };
  const cwd = typeof values.cwd === "string" ? values.cwd : process.cwd();
  const json = values.json === true;
  const dryRun = values["dry-run"] === true;
  if (command === "init") {
    const ci = values.ci as string | undefined;
    if (ci !== undefined && ci !== "github" && ci !== "gitlab")
      throw usageError(`--ci must be github or gitlab (got ${JSON.stringify(ci)})`, command, "--ci");
    return { command, ...(ci ? { ci } : {}), dryRun, json, cwd };
  }
  const otp = values.otp as string | undefined;
  if (otp !== undefined && !/^\d{6,8}$/.test(otp))
    throw usageError("--otp must be the 6 to 8 digits of your authenticator", command, "--otp");
  if (dryRun && values.yes === true)
    throw usageError("--dry-run and --yes exclude each other", command, "--yes");
  return { command, dryRun, yes: values.yes === true, ...(otp ? { otp } : {}), json, cwd };
}
