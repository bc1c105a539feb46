import { execa } from "execa";
import { findOnPath } from "../npm-cli.js";
import { PypiUploadError } from "./findings.js";

/** How twine is started: the `twine` command, else `python3 -m twine`. */
export interface TwineCommand {
  file: string;
  args: string[];
  display: string;
}

/**
 * Variables the twine child never gets: twine's own settings (set here) and anything named like a credential (ID
 * tokens, CI request tokens, npm and PyPI tokens, passwords, keys). Proxies and CA settings pass.
 */
const KEPT_FROM_TWINE =
  /^TWINE_|(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|JWT(_V\d+)?)(_|$)|_auth(Token)?$|^npm_config_.*:_/i;

export async function findTwine(env: NodeJS.ProcessEnv): Promise<TwineCommand> {
  const twine = findOnPath("twine", env);
  if (twine) return { file: twine, args: [], display: "twine" };
  for (const python of ["python3", "python"]) {
    const found = findOnPath(python, env);
    if (!found) continue;
    const probe = await execa(found, ["-m", "twine", "--version"], { env, reject: false, timeout: 60_000 });
    if (probe.exitCode === 0) return { file: found, args: ["-m", "twine"], display: `${python} -m twine` };
  }
  throw new PypiUploadError(
    "twine-missing",
    "twine is not installed: neither `twine` nor `python3 -m twine` runs",
    {
      setting: "PATH",
      fix: "install it in the job before this step: `python3 -m pip install twine` (or `apt-get install -y twine` on Debian/Ubuntu)",
    },
  );
}

export interface TwineResult {
  exitCode: number;
  /** stdout and stderr together, in order. */
  output: string;
}

/**
 * `twine upload --non-interactive` of one file. The token reaches twine only through its environment
 * (TWINE_USERNAME=__token__, TWINE_PASSWORD): never on the command line, where `ps` and /proc show it.
 */
export async function runTwineUpload(
  twine: TwineCommand,
  options: { repositoryUrl: string; file: string; token: string; env: NodeJS.ProcessEnv; cwd: string },
): Promise<TwineResult> {
  const args = [
    ...twine.args,
    "upload",
    "--non-interactive",
    "--disable-progress-bar",
    "--repository-url",
    options.repositoryUrl,
    options.file,
  ];
  const result = await execa(twine.file, args, {
    cwd: options.cwd,
    env: twineEnv(options.env, options.token),
    extendEnv: false,
    all: true,
    reject: false,
    stdin: "ignore",
    timeout: 15 * 60_000,
  });
  return { exitCode: result.exitCode ?? 1, output: result.all ?? "" };
}

export function twineEnv(env: NodeJS.ProcessEnv, token: string): Record<string, string> {
  const child: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && !KEPT_FROM_TWINE.test(key)) child[key] = value;
  }
  child.TWINE_USERNAME = "__token__";
  child.TWINE_PASSWORD = token;
  child.TWINE_NON_INTERACTIVE = "1";
  // No keyring look-up: it can prompt or hang on a runner, and the password is given.
  child.PYTHON_KEYRING_BACKEND = "keyring.backends.null.Keyring";
  return child;
}
