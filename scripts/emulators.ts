/**
 * Emulator harness: runs a command under the Firebase emulator suite (Auth, Firestore, Functions,
 * Pub/Sub on the fixed ports of firebase.json) with the local agent and the local Stripe beside it, using the Cloud SDK
 * emulator binaries already on the machine, so nothing is downloaded.
 *
 *   tsx scripts/emulators.ts check          exit 0 when the emulators can run here, else one line why
 *   tsx scripts/emulators.ts exec -- CMD…   start everything, run CMD, stop everything, exit with CMD's status
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startLocalAgent } from "./local-agent";
import { startLocalStripe } from "./local-stripe";
import { functionUrl, HOST, LOCAL_ENV, LOCAL_SECRETS_FILE, PORTS, PROJECT_ID, ROOT } from "./local-env";

const CACHE = path.join(ROOT, ".cache", "emulators");
const SDK = "/usr/lib/google-cloud-sdk/platform";
const FIRESTORE_JAR = process.env.FIRESTORE_EMULATOR_JAR ?? `${SDK}/cloud-firestore-emulator/cloud-firestore-emulator.jar`;
const PUBSUB_BIN = process.env.PUBSUB_EMULATOR_BINARY_PATH ?? `${SDK}/pubsub-emulator/bin/cloud-pubsub-emulator`;
const FIRESTORE_MAIN = "com.google.cloud.datastore.emulator.firestore.CloudFirestore";

/** Thrown when this machine cannot run the emulators; its message is one line naming the fix. */
export class EmulatorsMissing extends Error {}

/**
 * The Cloud SDK's Firestore jar has no Main-Class, and firebase-tools runs `java -jar`: build a
 * tiny launcher jar whose manifest names the main class and puts the real jar on the class path.
 */
function firestoreLauncher(): string {
  if (process.env.FIRESTORE_EMULATOR_BINARY_PATH) return process.env.FIRESTORE_EMULATOR_BINARY_PATH;
  if (!fs.existsSync(FIRESTORE_JAR)) {
    throw new EmulatorsMissing(
      `Firestore emulator not found at ${FIRESTORE_JAR}: set FIRESTORE_EMULATOR_JAR (Cloud SDK jar) or FIRESTORE_EMULATOR_BINARY_PATH (runnable jar).`,
    );
  }
  const launcher = path.join(CACHE, "firestore-launcher.jar");
  fs.mkdirSync(CACHE, { recursive: true });
  const manifest = path.join(CACHE, "MANIFEST.MF");
  fs.writeFileSync(manifest, `Main-Class: ${FIRESTORE_MAIN}\nClass-Path: file:${FIRESTORE_JAR}\n`);
  const built = spawnSync("jar", ["cfm", launcher, manifest], { stdio: "pipe" });
  if (built.error || built.status !== 0) {
    throw new EmulatorsMissing(
      `Cannot build the Firestore launcher jar (is a JDK with \`jar\` installed?): set FIRESTORE_EMULATOR_BINARY_PATH to a runnable emulator jar.`,
    );
  }
  return launcher;
}

function pubsubBinary(): string {
  if (!fs.existsSync(PUBSUB_BIN)) {
    throw new EmulatorsMissing(`Pub/Sub emulator not found at ${PUBSUB_BIN}: set PUBSUB_EMULATOR_BINARY_PATH.`);
  }
  return PUBSUB_BIN;
}

function checkJava(): void {
  const java = spawnSync("java", ["-version"], { stdio: "pipe" });
  if (java.error || java.status !== 0)
    throw new EmulatorsMissing("Java not found: the Firestore and Pub/Sub emulators need a JRE 11+ on PATH.");
}

/** At most this many function invocations run at once in the Functions emulator (see emulatorEnv). */
const FUNCTIONS_PARALLEL = 16;

/**
 * The environment firebase-tools needs to use the local binaries instead of downloading. Its
 * Functions emulator also looks for Application Default Credentials (to warn that they reach
 * production), and google-auth-library then pings the GCE metadata server, which fails here with
 * a MetadataLookupWarning on stderr: gcp-metadata's METADATA_SERVER_DETECTION=none says there is none.
 *
 * The Functions emulator starts one worker process (about 110 MB) per concurrent invocation and
 * keeps it idle for reuse, per function, never reaping it: a burst of 64 messages and their 64
 * rollups would leave well over a hundred workers, several GB, on these 24 GB machines. Capping
 * its parallel work (FUNCTIONS_EMULATOR_PARALLEL, default 50) bounds every pool; invocations past
 * the cap wait in its queue, as requests wait for an instance in production.
 */
export function emulatorEnv(): NodeJS.ProcessEnv {
  checkJava();
  return {
    FIRESTORE_EMULATOR_BINARY_PATH: firestoreLauncher(),
    PUBSUB_EMULATOR_BINARY_PATH: pubsubBinary(),
    METADATA_SERVER_DETECTION: "none",
    FUNCTIONS_EMULATOR_PARALLEL: process.env.FUNCTIONS_EMULATOR_PARALLEL ?? String(FUNCTIONS_PARALLEL),
  };
}

/**
 * Secrets for the emulators: fresh random values written to functions/.secret.local (git-ignored)
 * and handed to the local agent and to the command (tests sign rows with the same key), so no
 * secret is ever committed.
 */
function localSecrets(): Record<"AGENT_API_KEY" | "LEDGER_SIGNING_KEY" | "WEBHOOK_SIGNING_SECRET" | "STRIPE_SECRET_KEY", string> {
  const fresh = () => `local-${randomBytes(16).toString("hex")}`;
  // The local Stripe takes test-mode keys only.
  const secrets = {
    AGENT_API_KEY: fresh(),
    LEDGER_SIGNING_KEY: fresh(),
    WEBHOOK_SIGNING_SECRET: fresh(),
    STRIPE_SECRET_KEY: `sk_test_${fresh()}`,
  };
  const lines = Object.entries(secrets).map(([k, v]) => `${k}=${v}\n`);
  fs.writeFileSync(LOCAL_SECRETS_FILE, lines.join(""), { mode: 0o600 });
  return secrets;
}

/**
 * Param overrides for one emulator run, from its caller: `BILLING_PARAM_OVERRIDES="NAME=value,…"`
 * (the bench raises the per-user rate limit this way). firebase-tools loads functions/.env, then
 * functions/.env.<projectId>, then (emulators only) functions/.env.local, each later file winning,
 * so the harness writes the overrides to functions/.env.demo-agent-billing (git-ignored) before
 * firebase starts and removes it when the run ends. A key that .env.local sets would still win
 * there, so it is refused rather than silently ignored.
 */
export const PARAM_OVERRIDES_VARIABLE = "BILLING_PARAM_OVERRIDES";

const FUNCTIONS_DIR = path.join(ROOT, "functions");
const OVERRIDES_FILE = path.join(FUNCTIONS_DIR, `.env.${PROJECT_ID}`);
const OVERRIDES_MARK = "# Written by scripts/emulators.ts for one emulator run (BILLING_PARAM_OVERRIDES); removed when it ends.";

/** `KEY=value` lines of a dotenv file (comments and blank lines skipped); empty when the file is absent. */
function dotenvValues(file: string): Record<string, string> {
  if (!fs.existsSync(file)) return {};
  const values: Record<string, string> = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) values[match[1]] = match[2];
  }
  return values;
}

/**
 * The overrides named by {@link PARAM_OVERRIDES_VARIABLE} in `env`, checked: each must be a param of
 * functions/.env that functions/.env.local does not set.
 *
 * @throws Error naming the entry and why, for a malformed entry or a key that cannot be overridden.
 */
export function paramOverrides(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const spec = env[PARAM_OVERRIDES_VARIABLE]?.trim();
  if (!spec) return {};
  const params = dotenvValues(path.join(FUNCTIONS_DIR, ".env"));
  const local = dotenvValues(path.join(FUNCTIONS_DIR, ".env.local"));
  const overrides: Record<string, string> = {};
  for (const entry of spec.split(",").map((e) => e.trim())) {
    const match = /^([A-Z][A-Z0-9_]*)=([^\s"'#]+)$/.exec(entry);
    if (!match) throw new Error(`${PARAM_OVERRIDES_VARIABLE}: "${entry}" is not NAME=value (no spaces, quotes or #)`);
    const [, key, value] = match;
    if (!(key in params)) throw new Error(`${PARAM_OVERRIDES_VARIABLE}: ${key} is not a param of functions/.env`);
    if (key in local) throw new Error(`${PARAM_OVERRIDES_VARIABLE}: ${key} is set by functions/.env.local, which firebase loads last`);
    overrides[key] = value;
  }
  return overrides;
}

/** The param values the Functions emulator sees in this run: the dotenv files in firebase-tools' order, later ones winning. */
export function emulatorParams(): Record<string, string> {
  return [".env", `.env.${PROJECT_ID}`, ".env.local"].reduce(
    (values, file) => ({ ...values, ...dotenvValues(path.join(FUNCTIONS_DIR, file)) }),
    {} as Record<string, string>,
  );
}

/**
 * Writes the overrides file, or removes a leftover one when there are none, so an earlier run's
 * overrides never leak into this one. A file there that the harness did not write is left alone
 * (and overrides are refused), since it may hold someone's own settings.
 */
function writeParamOverrides(overrides: Record<string, string>): void {
  const names = Object.keys(overrides);
  if (!names.length) return removeParamOverrides();
  if (fs.existsSync(OVERRIDES_FILE) && !ownsOverridesFile()) {
    throw new Error(
      `${path.relative(ROOT, OVERRIDES_FILE)} exists and was not written by the harness: move it away to use ${PARAM_OVERRIDES_VARIABLE}`,
    );
  }
  const lines = names.map((key) => `${key}=${overrides[key]}\n`);
  fs.writeFileSync(OVERRIDES_FILE, `${OVERRIDES_MARK}\n${lines.join("")}`);
  console.error(`params overridden for this run: ${names.map((key) => `${key}=${overrides[key]}`).join(", ")}`);
}

const ownsOverridesFile = () => fs.readFileSync(OVERRIDES_FILE, "utf8").startsWith(OVERRIDES_MARK);

function removeParamOverrides(): void {
  if (fs.existsSync(OVERRIDES_FILE) && ownsOverridesFile()) fs.rmSync(OVERRIDES_FILE);
}

/** What the command needs beyond what firebase emulators:exec sets itself. */
const CLIENT_ENV_FOR_COMMAND = {
  LOCAL_AGENT_URL: LOCAL_ENV.LOCAL_AGENT_URL,
  LOCAL_STRIPE_URL: LOCAL_ENV.LOCAL_STRIPE_URL,
  FUNCTIONS_EMULATOR_ORIGIN: LOCAL_ENV.FUNCTIONS_EMULATOR_ORIGIN,
};
// Hosting serves the owner's web console (web/dist, built by `npm run build`) on the same emulators.
const ONLY = ["--only", "auth,firestore,functions,pubsub,hosting", "--project", PROJECT_ID, "--non-interactive"];
const FIREBASE = path.join(ROOT, "node_modules", ".bin", "firebase");

const shellQuote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

interface Support {
  env: NodeJS.ProcessEnv;
  stop: () => Promise<void>;
}

const WEB_DIST = path.join(ROOT, "web", "dist");

/**
 * The Hosting emulator serves web/dist, which `npm run build` writes. Without a build, it serves a
 * page saying how to build the console instead of failing to start.
 */
function ensureWebBuild(): void {
  if (fs.existsSync(path.join(WEB_DIST, "index.html"))) return;
  fs.mkdirSync(WEB_DIST, { recursive: true });
  fs.writeFileSync(
    path.join(WEB_DIST, "index.html"),
    "<!doctype html><title>Agent billing console</title><p>The web console is not built: run <code>npm run build</code>.</p>\n",
  );
  console.error("web/dist has no build: the Hosting emulator serves a placeholder (run npm run build for the console)");
}

/** Secrets, binaries, param overrides, the local agent and the local Stripe: what every emulator run needs before firebase starts. */
async function startSupport(): Promise<Support> {
  ensureWebBuild();
  const secrets = localSecrets();
  const env = { ...process.env, ...emulatorEnv(), ...CLIENT_ENV_FOR_COMMAND, ...secrets };
  writeParamOverrides(paramOverrides());
  const agent = await startLocalAgent(PORTS.localAgent, secrets.AGENT_API_KEY).catch((err: Error) => {
    removeParamOverrides();
    throw new Error(`local agent could not start on ${HOST}:${PORTS.localAgent} (${err.message}); is another copy running?`);
  });
  const stripe = await startLocalStripe({ port: PORTS.localStripe }).catch(async (err: Error) => {
    removeParamOverrides();
    agent.closeAllConnections();
    await new Promise((resolve) => agent.close(resolve));
    throw new Error(
      `local Stripe could not start on ${HOST}:${PORTS.localStripe} (${err.message}); is stripe-mock or another copy running?`,
    );
  });
  const stop = async () => {
    removeParamOverrides();
    for (const server of [agent, stripe]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  };
  return { env, stop };
}

const exitOf = (child: ChildProcess) =>
  new Promise<number>((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? 130 : 1))));

/**
 * Runs `command` under the emulators and the local agent; resolves to its exit status. Ctrl-C
 * reaches firebase from the terminal itself, so only SIGTERM is forwarded (never twice).
 */
export async function runUnderEmulators(command: string[]): Promise<number> {
  const support = await startSupport();
  const child = spawn(FIREBASE, ["emulators:exec", ...ONLY, command.map(shellQuote).join(" ")], {
    cwd: ROOT,
    stdio: "inherit",
    env: support.env,
  });
  const forward = () => child.kill("SIGTERM");
  process.on("SIGTERM", forward);
  process.on("SIGINT", () => undefined);
  const status = await exitOf(child);
  process.off("SIGTERM", forward);
  await support.stop();
  return status;
}

/** Resolves once the Functions emulator serves the project's callables. */
async function functionsReady(exited: Promise<number>, timeoutMs = 180_000): Promise<void> {
  const url = functionUrl("sendMessage");
  let gone = false;
  void exited.then(() => (gone = true));
  for (const until = Date.now() + timeoutMs; Date.now() < until && !gone;) {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: '{"data":{}}' }).catch(
      () => null,
    );
    if (res && (await res.text()).includes("UNAUTHENTICATED")) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    gone ? "the emulators stopped while starting (see their output above)" : "the Functions emulator did not come up in time",
  );
}

/**
 * Serves the emulators and the local agent until Ctrl-C (or SIGTERM), running `onReady` once the
 * functions answer. Firebase runs in its own process group and gets exactly one SIGINT from here,
 * so it shuts its Java emulators down cleanly and nothing is left behind.
 */
export async function serveEmulators(onReady: () => Promise<void>): Promise<number> {
  const support = await startSupport();
  const { AGENT_API_KEY, LEDGER_SIGNING_KEY, WEBHOOK_SIGNING_SECRET, STRIPE_SECRET_KEY } = support.env;
  Object.assign(process.env, LOCAL_ENV, { AGENT_API_KEY, LEDGER_SIGNING_KEY, WEBHOOK_SIGNING_SECRET, STRIPE_SECRET_KEY });
  const child = spawn(FIREBASE, ["emulators:start", ...ONLY], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    env: support.env,
    detached: true,
  });
  child.stdout?.on("data", (chunk: Buffer) => process.env.VERBOSE_EMULATORS && process.stdout.write(chunk));
  const exited = exitOf(child);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log("\nstopping the emulators and the local agent…");
    process.kill(-child.pid!, "SIGINT");
    setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 30_000).unref();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    await functionsReady(exited);
    await onReady();
  } catch (err) {
    console.error(`npm start failed: ${(err as Error).message}`);
    stop();
  }
  const status = await exited;
  await support.stop();
  return stopping ? 0 : status;
}

/**
 * The emulators use fixed ports, so two runs at once would collide: a run re-executes its entry
 * script under flock(1) and waits its turn, saying so. Returns null when already holding the lock.
 */
export function underLock(): Promise<number> | null {
  if (process.env.EMULATORS_LOCK_HELD || spawnSync("flock", ["-V"]).error) return null;
  // The ports are the machine's, so the lock is too (not the checkout's).
  const lock = path.join(os.tmpdir(), "agent-billing-emulators.lock");
  const free = spawnSync("flock", ["-n", lock, "true"]).status === 0;
  if (!free) console.error(`waiting for another emulator run to finish (lock ${lock})…`);
  const child = spawn("flock", [lock, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, EMULATORS_LOCK_HELD: "1" },
  });
  // Ctrl-C reaches the locked run from the terminal; a SIGTERM is passed on.
  process.on("SIGINT", () => undefined);
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  return exitOf(child);
}

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === "exec") {
    const locked = underLock();
    if (locked) return locked;
  }
  try {
    if (verb === "check") {
      emulatorEnv();
      console.log("emulators: ok (Cloud SDK Firestore and Pub/Sub emulators found, Java present)");
      return 0;
    }
    if (verb === "exec") {
      const command = rest[0] === "--" ? rest.slice(1) : rest;
      if (command.length === 0) throw new Error("usage: emulators.ts exec -- COMMAND [ARGS…]");
      return await runUnderEmulators(command);
    }
    throw new Error("usage: emulators.ts check | exec -- COMMAND [ARGS…]");
  } catch (err) {
    console.error(err instanceof EmulatorsMissing ? `EMULATORS MISSING: ${err.message}` : (err as Error).message);
    return err instanceof EmulatorsMissing ? 3 : 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
