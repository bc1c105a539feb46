import { parseArgs } from "node:util";
import { PolyglotError } from "@polyglot-changesets/core";
import type { OidcMode } from "./preflight.js";

export type PypiTrigger = "outputs" | "dispatch" | "none";

export interface PublishArgs {
  command: "publish";
  dryRun: boolean;
  oidc: OidcMode;
  provenance: boolean;
  tag?: string;
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

export type CliArgs = PublishArgs | DoctorArgs | PypiCheckArgs | { command: "help" };

export const USAGE = `usage:
  polyglot-publish [--dry-run] [--oidc require|auto|off] [--no-provenance] [--tag T]
                   [--pypi-trigger outputs|dispatch|none] [--pypi-workflow FILE] [--json] [--cwd DIR]
  polyglot-publish doctor [--oidc require|auto|off] [--no-provenance] [--json] [--cwd DIR]
  polyglot-publish pypi-check [--index URL] [--fail-if-exists] [--json] [--cwd DIR]`;

function usageError(message: string, setting?: string): PolyglotError {
  return new PolyglotError(message, { ...(setting ? { setting } : {}), fix: USAGE, exitCode: 2 });
}

function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  flag: string,
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw usageError(`${flag} must be one of ${allowed.join(", ")} (got ${JSON.stringify(value)})`, flag);
}

/** Parses argv (without node and the script); bad usage is a PolyglotError with exit code 2. */
export function parseCliArgs(argv: readonly string[], defaults: { pypiWorkflow?: string } = {}): CliArgs {
  const [first, ...rest] = argv;
  const command = first === "doctor" || first === "pypi-check" ? first : "publish";
  const args = command === "publish" ? [...argv] : rest;
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        "dry-run": { type: "boolean" },
        oidc: { type: "string" },
        provenance: { type: "boolean" },
        "no-provenance": { type: "boolean" },
        tag: { type: "string" },
        "pypi-trigger": { type: "string" },
        "pypi-workflow": { type: "string" },
        json: { type: "boolean" },
        cwd: { type: "string" },
        index: { type: "string" },
        "fail-if-exists": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    throw usageError((error as Error).message);
  }
  if (values.help) return { command: "help" };
  const allowed: Record<typeof command, string[]> = {
    publish: [
      "dry-run",
      "oidc",
      "provenance",
      "no-provenance",
      "tag",
      "pypi-trigger",
      "pypi-workflow",
      "json",
      "cwd",
    ],
    doctor: ["oidc", "provenance", "no-provenance", "json", "cwd"],
    "pypi-check": ["index", "fail-if-exists", "json", "cwd"],
  };
  for (const key of Object.keys(values)) {
    if (!allowed[command].includes(key))
      throw usageError(`--${key} is not an option of ${command}`, `--${key}`);
  }
  const cwd = typeof values.cwd === "string" ? values.cwd : process.cwd();
  const json = values.json === true;
  const oidc = oneOf(
    values.oidc as string | undefined,
    ["require", "auto", "off"] as const,
    "--oidc",
    "auto",
  );
  const provenance = values["no-provenance"] !== true;
  if (command === "doctor") return { command, oidc, provenance, json, cwd };
  if (command === "pypi-check") {
    const index = values.index as string | undefined;
    if (index !== undefined && !/^https?:\/\//.test(index))
      throw usageError(`--index must be an http(s) URL`, "--index");
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
    throw usageError(`--tag ${JSON.stringify(tag)} is not a valid npm dist-tag`, "--tag");
  const pypiTrigger = oneOf(
    values["pypi-trigger"] as string | undefined,
    ["outputs", "dispatch", "none"] as const,
    "--pypi-trigger",
    "outputs",
  );
  const pypiWorkflow = (values["pypi-workflow"] as string | undefined) ?? defaults.pypiWorkflow;
  return {
    command,
    dryRun: values["dry-run"] === true,
    oidc,
    provenance,
    ...(tag ? { tag } : {}),
    pypiTrigger,
    ...(pypiWorkflow ? { pypiWorkflow } : {}),
    json,
    cwd,
  };
}
