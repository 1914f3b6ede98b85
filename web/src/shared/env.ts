/**
 * Where the console finds the backend: the demo project on the fixed local ports of DESIGN.md's
 * "Local defaults" (the same values as scripts/local-env.ts, which a unit test keeps equal).
 */
export const LOCAL = {
  projectId: "demo-agent-billing",
  apiKey: "demo-key",
  host: "127.0.0.1",
  ports: { auth: 9099, functions: 5001, firestore: 8080 },
  region: "us-central1",
} as const;
