// What a CI command does, as far as publishing goes: a `run:` line is read as shell words (not parsed as YAML;
// the YAML itself is parsed by the `yaml` library), and package scripts it runs are followed in package.json.

export type PublishKind = "npm" | "pypi";

/** The root package.json's scripts, to follow `pnpm release` / `npm run release` / `yarn release`. */
export type Scripts = Readonly<Record<string, string>>;

const NPM_PUBLISH = [
  // polyglot-publish itself, but not its subcommands that publish nothing to npm
  /\bpolyglot-publish\b(?!\s+(?:doctor|init|trust|pypi-check|pypi-upload|rollback|--help|-h|--version)\b)/,
  /\bchangeset\s+publish\b/,
  /\b(?:npm|pnpm|bun)\s+(?:-\S+\s+)*publish\b/,
  /\byarn\s+npm\s+publish\b/,
];
const PYPI_PUBLISH = [
  /\bpolyglot-publish\s+pypi-upload\b/,
  /\btwine\s+upload\b/,
  /\buv\s+publish\b/,
  /\bpoetry\s+publish\b/,
];

const RUN_SCRIPT = /\b(?:pnpm|npm|yarn|bun)\s+(?:run\s+|run-script\s+)?([\w:.-]+)/g;
const BUILTIN = new Set(["install", "i", "ci", "add", "exec", "dlx", "test", "publish", "npm", "x", "run"]);

/** What `command` publishes, following package scripts up to a few levels deep. */
export function publishesIn(command: string, scripts: Scripts, depth = 0): Set<PublishKind> {
  const kinds = new Set<PublishKind>();
  // Each shell command on its own: a `--dry-run` publish (a CI check) publishes nothing.
  const segments = command.split(/\r?\n|&&|\|\||;/).filter((segment) => !/\s--dry-run\b/.test(segment));
  for (const segment of segments) {
    if (NPM_PUBLISH.some((pattern) => pattern.test(segment))) kinds.add("npm");
    if (PYPI_PUBLISH.some((pattern) => pattern.test(segment))) kinds.add("pypi");
  }
  if (depth >= 4) return kinds;
  for (const match of command.matchAll(RUN_SCRIPT)) {
    const name = match[1] ?? "";
    const script = BUILTIN.has(name) ? undefined : scripts[name];
    if (script === undefined) continue;
    for (const kind of publishesIn(script, scripts, depth + 1)) kinds.add(kind);
  }
  return kinds;
}

/** The npm version a command installs globally (`npm i -g npm@10.9.0`), if any. */
export function pinnedNpmVersion(command: string): string | undefined {
  const match = /\bnpm\s+(?:i|install|add)\s+(?:\S+\s+)*?npm@([\w.^~<>=*-]+)/.exec(command);
  if (!match || !/\s(?:-g|--global)\b/.test(command)) return undefined;
  return match[1];
}
