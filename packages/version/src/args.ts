import { closestNames, PolyglotError } from "@polyglot-changesets/core";

/** What `changeset version` is asked to do; also what the plan must predict. */
export interface ChangesetVersionOptions {
  /** `--snapshot [tag]`: `true` without a tag. */
  snapshot?: string | true;
  snapshotPrereleaseTemplate?: string;
  ignore: string[];
  /** Every argument for `changeset version`, in the order given. */
  args: string[];
}

export interface VersionArgs {
  cwd: string;
  syncOnly: boolean;
  dryRun: boolean;
  check: boolean;
  json: boolean;
  help: boolean;
  /** `--version`: print this CLI's version. */
  version: boolean;
  /** `--changeset-cli`: run the repo's `changeset version` as a process instead of in-process. */
  changesetCli: boolean;
  changeset: ChangesetVersionOptions;
}

export const USAGE = `Usage: polyglot-version [options] [changeset version args...]

Runs \`changeset version\`, then syncs every pyproject.toml, __version__ file, uv.lock, Cargo.toml
and Cargo.lock that follows an npm workspace package. Plans and validates every edit first.

Options:
  --sync-only        only sync targets to the current package.json versions (after \`changeset version\`)
  --dry-run          print a unified diff of every planned target edit; write nothing
  --check            write nothing; exit 1 naming each target out of step with its source
  --json             print the edits as JSON [{file, field, from, to}] on stdout (the run itself
                     happens; add --dry-run or --check to write nothing)
  --changeset-cli    run the repo's \`changeset version\` as a process (default: in-process with the
                     repo's own @changesets/cli 3 libraries, the same result in one process)
  --cwd DIR          run in DIR (default: the current directory)
  -h, --help         show this help
  --version          print the version of polyglot-version

Passed to \`changeset version\`: --snapshot [tag], --snapshot-prerelease-template T, --ignore PKG,
other positional arguments, and everything after \`--\`.

Exit codes: 0 done or nothing to do, 1 \`changeset version\` failed or --check found targets out of
step (or the exit code \`changeset version\` returned), 2 bad usage or configuration.`;

function usageError(message: string): PolyglotError {
  return new PolyglotError(message, {
    code: "usage",
    fix: "run polyglot-version --help for the options",
    exitCode: 2,
  });
}

/** Parses the command line; unknown options are a usage error (exit 2). */
export function parseVersionArgs(argv: readonly string[], defaultCwd: string): VersionArgs {
  const parsed: VersionArgs = {
    cwd: defaultCwd,
    syncOnly: false,
    dryRun: false,
    check: false,
    json: false,
    help: false,
    version: false,
    changesetCli: false,
    changeset: { ignore: [], args: [] },
  };
  const rest = [...argv];
  while (rest.length > 0) {
    const arg = rest.shift()!;
    if (arg === "--") {
      parsed.changeset.args.push(...rest.splice(0));
      break;
    }
    parseOne(arg, rest, parsed);
  }
  if ([parsed.syncOnly, parsed.check].filter(Boolean).length > 0 && parsed.changeset.args.length > 0) {
    throw usageError(
      `${parsed.check ? "--check" : "--sync-only"} does not run changeset version, so it takes no changeset arguments (${parsed.changeset.args.join(" ")})`,
    );
  }
  return parsed;
}

const FLAGS: Record<
  string,
  keyof Pick<VersionArgs, "syncOnly" | "dryRun" | "check" | "json" | "help" | "version" | "changesetCli">
> = {
  "--sync-only": "syncOnly",
  "--dry-run": "dryRun",
  "--check": "check",
  "--json": "json",
  "--help": "help",
  "-h": "help",
  "--version": "version",
  "--changeset-cli": "changesetCli",
};

function parseOne(arg: string, rest: string[], parsed: VersionArgs): void {
  const [name, inlineValue] = splitInline(arg);
  const flag = FLAGS[name];
  if (flag && inlineValue === undefined) {
    parsed[flag] = true;
    return;
  }
  const changeset = parsed.changeset;
  switch (name) {
    case "--cwd":
      parsed.cwd = requireValue(name, inlineValue, rest);
      return;
    case "--snapshot": {
      const tag =
        inlineValue ?? (rest[0] !== undefined && !rest[0].startsWith("-") ? rest.shift() : undefined);
      changeset.snapshot = tag ?? true;
      changeset.args.push("--snapshot", ...(tag ? [tag] : []));
      return;
    }
    case "--snapshot-prerelease-template": {
      const template = requireValue(name, inlineValue, rest);
      changeset.snapshotPrereleaseTemplate = template;
      changeset.args.push(name, template);
      return;
    }
    case "--ignore": {
      const pkg = requireValue(name, inlineValue, rest);
      changeset.ignore.push(pkg);
      changeset.args.push(name, pkg);
      return;
    }
  }
  if (arg.startsWith("-")) throw usageError(`unknown option ${arg}${didYouMean(name)}`);
  changeset.args.push(arg);
}

const OPTIONS = [...Object.keys(FLAGS), "--cwd", "--snapshot", "--snapshot-prerelease-template", "--ignore"];

function didYouMean(name: string): string {
  const [best] = name.startsWith("--") ? closestNames(name, OPTIONS, 1) : [];
  return best ? ` (did you mean ${best}?)` : "";
}

function splitInline(arg: string): [string, string | undefined] {
  const equals = arg.indexOf("=");
  return arg.startsWith("--") && equals > 0
    ? [arg.slice(0, equals), arg.slice(equals + 1)]
    : [arg, undefined];
}

function requireValue(name: string, inlineValue: string | undefined, rest: string[]): string {
  const value = inlineValue ?? rest.shift();
  if (value === undefined || value === "") throw usageError(`${name} needs a value`);
  return value;
}
