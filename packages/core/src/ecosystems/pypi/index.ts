import type { EcosystemAdapter } from "../adapter.js";
import { discoverPypiTargets } from "./discover.js";
import { PYPROJECT } from "./facts.js";
import { planPypiEdits } from "./plan.js";
import { pypiRegistry } from "./registry.js";

/** PyPI: pyproject.toml (PEP 621, Poetry, hatch, flit, maturin) and setuptools projects, uv.lock, PEP 440. */
export const pypiAdapter: EcosystemAdapter = {
  ecosystem: "pypi",
  manifestNames: [PYPROJECT, "setup.py", "setup.cfg"],
  discover: discoverPypiTargets,
  plan: planPypiEdits,
  registry: pypiRegistry,
};
