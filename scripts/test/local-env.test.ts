/**
 * The local environment's facts against the files that state them too: firebase.json's emulator
 * ports and hosts, and the local agent's default port, so neither can drift from scripts/local-env.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LOCAL_AGENT_PORT } from "../local-agent";
import { LOCAL_STRIPE_PORT } from "../local-stripe";
import { endpoint, functionUrl, HOST, LOCAL_ENV, localAgentUrl, PORTS, PROJECT_ID, ROOT } from "../local-env";

const firebaseJson = JSON.parse(fs.readFileSync(path.join(ROOT, "firebase.json"), "utf8")) as {
  emulators: Record<string, { host?: string; port?: number }>;
};
const configured = Object.entries(firebaseJson.emulators).filter(([, e]) => typeof e === "object" && e.port !== undefined);

/** Runs `check` with the given variables set (or unset when undefined), restoring them after. */
function withEnv(vars: Record<string, string | undefined>, check: () => void): void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    check();
  } finally {
    apply(saved);
  }
}

describe("local-env", () => {
  it("has firebase.json's port and host for every emulator firebase.json configures", () => {
    expect(configured.length).toBeGreaterThan(0);
    for (const [name, emulator] of configured) {
      expect({ name, port: PORTS[name as keyof typeof PORTS] }).toEqual({ name, port: emulator.port });
      expect({ name, host: emulator.host }).toEqual({ name, host: HOST });
    }
  });

  it("has no emulator port that firebase.json lacks (the local agent and the local Stripe are not emulators)", () => {
    const names = configured.map(([name]) => name).sort();
    expect(
      Object.keys(PORTS)
        .filter((name) => name !== "localAgent" && name !== "localStripe")
        .sort(),
    ).toEqual(names);
  });

  it("starts the local agent on the port the clients use", () => {
    expect(LOCAL_AGENT_PORT).toBe(PORTS.localAgent);
    expect(new URL(LOCAL_ENV.LOCAL_AGENT_URL).port).toBe(String(PORTS.localAgent));
  });

  it("starts the local Stripe on stripe-mock's port, where the clients look for it", () => {
    expect(LOCAL_STRIPE_PORT).toBe(PORTS.localStripe);
    expect(LOCAL_STRIPE_PORT).toBe(12111);
    expect(new URL(LOCAL_ENV.LOCAL_STRIPE_URL).port).toBe(String(PORTS.localStripe));
  });

  it("falls back to the defaults when the harness's variables are unset", () => {
    const unset = { FIRESTORE_EMULATOR_HOST: undefined, FUNCTIONS_EMULATOR_ORIGIN: undefined, LOCAL_AGENT_URL: undefined };
    withEnv(unset, () => {
      expect(endpoint("firestore")).toEqual({ host: HOST, port: PORTS.firestore, origin: `http://${HOST}:${PORTS.firestore}` });
      expect(functionUrl("sendMessage")).toBe(`http://${HOST}:${PORTS.functions}/${PROJECT_ID}/us-central1/sendMessage`);
      expect(localAgentUrl()).toBe(`http://${HOST}:${PORTS.localAgent}/v1`);
    });
  });

  it("uses the harness's variables when set, and names a malformed one", () => {
    withEnv({ FIREBASE_AUTH_EMULATOR_HOST: "[::1]:9199", FUNCTIONS_EMULATOR_ORIGIN: "http://localhost:5002" }, () => {
      expect(endpoint("auth")).toEqual({ host: "::1", port: 9199, origin: "http://[::1]:9199" });
      expect(functionUrl("getBillingInfo")).toBe(`http://localhost:5002/${PROJECT_ID}/us-central1/getBillingInfo`);
    });
    withEnv({ PUBSUB_EMULATOR_HOST: "no-port" }, () => {
      expect(() => endpoint("pubsub")).toThrow('PUBSUB_EMULATOR_HOST must be host:port, got "no-port"');
    });
  });
});
