import type { DoctorArgs } from "../args.js";
import type { PublishPlan } from "../plan.js";
import type { Finding } from "../preflight.js";
import { cleanTreeFindings } from "./clean-tree.js";
import { reproducibleFindings } from "./reproducible.js";

/** The release gates of the preflight: a clean tree, then (when on) reproducible npm packages. */
export async function guardFindings(
  plan: PublishPlan,
  guards: DoctorArgs["guards"],
  env: NodeJS.ProcessEnv,
  { snapshot = false }: { snapshot?: boolean } = {},
): Promise<Finding[]> {
  if (plan.npm.length === 0 && plan.tagOnly.length === 0) return [];
  const tree = await cleanTreeFindings(plan.root, guards.allowDirty, { snapshot });
  const reproducible = guards.reproducible ? await reproducibleFindings(plan.root, plan.npm, env) : [];
  return [...tree, ...reproducible];
}
