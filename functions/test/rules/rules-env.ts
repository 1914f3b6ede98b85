/**
 * The test environment for `firestore.rules`: the real rules file, loaded into the Firestore
 * emulator under a project id of its own, so that clearing data and loading rules here never
 * touches what the other emulator tests do under the harness's project.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { initializeTestEnvironment, type RulesTestContext, type RulesTestEnvironment } from "@firebase/rules-unit-testing";
import type { Firestore } from "firebase/firestore";
import { endpoint, PROJECT_ID, ROOT } from "../../../scripts/local-env";

export const RULES_FILE = path.join(ROOT, "firestore.rules");
export const COVERAGE_FILE = path.join(ROOT, "coverage", "firestore-rules-coverage.html");

/** Where the Firestore emulator listens; only under the harness, which has started it. */
function emulatorHost(): { host: string; port: number } {
  if (!process.env.FIRESTORE_EMULATOR_HOST) throw new Error("rules tests run under the emulator harness: npm run test:emulators");
  return endpoint("firestore");
}

/**
 * The local project id with a `-rules` suffix: its own namespace in the emulator, still a
 * `demo-` project, so nothing can reach a real one.
 */
export function rulesProjectId(): string {
  return `${PROJECT_ID}-rules`;
}

/** Starts a rules test environment on the real `firestore.rules`. */
export function startRulesEnvironment(): Promise<RulesTestEnvironment> {
  const { host, port } = emulatorHost();
  return initializeTestEnvironment({
    projectId: rulesProjectId(),
    firestore: { host, port, rules: fs.readFileSync(RULES_FILE, "utf8") },
  });
}

/**
 * The context's Firestore for the modular API. The test context hands out the compat instance;
 * the modular functions accept it at run time (it wraps a modular instance), only the types differ.
 */
export function clientDb(context: RulesTestContext): Firestore {
  return context.firestore() as unknown as Firestore;
}

/**
 * Fetches the emulator's coverage report of the rules for this environment's project (which
 * expressions were evaluated, and to what) and saves it under `coverage/`.
 */
export async function saveRulesCoverageReport(): Promise<{ ok: boolean; status: number; html: string }> {
  const url = `${endpoint("firestore").origin}/emulator/v1/projects/${rulesProjectId()}:ruleCoverage.html`;
  const res = await fetch(url);
  const html = await res.text();
  if (res.ok) {
    fs.mkdirSync(path.dirname(COVERAGE_FILE), { recursive: true });
    fs.writeFileSync(COVERAGE_FILE, html);
  }
  return { ok: res.ok, status: res.status, html };
}
