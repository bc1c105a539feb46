#!/usr/bin/env node
import { requireNode } from "@polyglot-changesets/core/require-node";

requireNode("polyglot-publish");
await import("../dist/cli.js");
