// `polyglot-publish doctor --workflows`: only the static checks of the CI files; reads no registry.

import { findPackages, type Io } from "@polyglot-changesets/core";
import type { DoctorArgs } from "../args.js";
import { writeFindings } from "../publish.js";
import { ciFiles, workflowFindings } from "./index.js";

export async function workflowsDoctorCommand(
  args: DoctorArgs,
  io: Io,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const findings = await workflowFindings(args.cwd);
  const log = args.json ? io.stderr : io.stdout;
  const files = ciFiles((await findPackages(args.cwd)).rootDir);
  if (files.length === 0)
    log.write("polyglot-publish: doctor: no CI files found (.github/workflows, .gitlab-ci.yml)\n");
  writeFindings(log, findings, env);
  const errors = findings.filter((finding) => finding.level === "error").length;
  const warnings = findings.filter((finding) => finding.level === "warning").length;
  if (files.length > 0)
    log.write(
      `polyglot-publish: doctor --workflows: ${files.join(", ")}: ${errors} error(s), ${warnings} warning(s)\n`,
    );
  if (args.json) io.stdout.write(`${JSON.stringify({ findings }, null, 2)}\n`);
  return errors > 0 ? 2 : 0;
}
