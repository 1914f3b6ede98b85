/** The web console's endpoints (web/src/shared/env.ts, bundled into the page) against scripts/local-env.ts. */
import { REGION } from "../../functions/src/config";
import { LOCAL } from "../../web/src/shared/env";
import { API_KEY, HOST, PORTS, PROJECT_ID } from "../local-env";

describe("the web console's environment", () => {
  it("names the local project, host, ports and region that the harness and the functions use", () => {
    expect(LOCAL).toEqual({
      projectId: PROJECT_ID,
      apiKey: API_KEY,
      host: HOST,
      ports: { auth: PORTS.auth, functions: PORTS.functions, firestore: PORTS.firestore },
      region: REGION,
    });
  });
});
