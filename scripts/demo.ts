/**
 * The demo that `npm start` runs once everything is up: it seeds a demo owner and agent, then
 * prints what is running and how to call it.
 */
import { DEMO, seedDemoIdentities } from "./demo-setup";
import { CLIENT_ENV, PROJECT_ID } from "./emulators";

function instructions(): string {
  const fn = `${CLIENT_ENV.FUNCTIONS_EMULATOR_ORIGIN}/${PROJECT_ID}/us-central1`;
  const auth = `http://${CLIENT_ENV.FIREBASE_AUTH_EMULATOR_HOST}`;
  return `
Agent billing is running (project ${PROJECT_ID}, everything on 127.0.0.1):
  Auth emulator       ${auth}
  Firestore emulator  http://${CLIENT_ENV.FIRESTORE_EMULATOR_HOST}
  Functions emulator  ${fn}/<function>
  Pub/Sub emulator    http://${CLIENT_ENV.PUBSUB_EMULATOR_HOST}
  Local agent         ${CLIENT_ENV.LOCAL_AGENT_URL} (OpenAI-compatible)

Demo owner ${DEMO.email} / ${DEMO.password} owns agent "${DEMO.agentId}". Call it:
  TOKEN=$(curl -s '${auth}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=demo' \\
    -H 'content-type: application/json' \\
    -d '{"email":"${DEMO.email}","password":"${DEMO.password}","returnSecureToken":true}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).idToken')
  curl -s ${fn}/sendMessage -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"data":{"agentId":"${DEMO.agentId}","conversationId":"hello","message":"Hi there","testMode":"production"}}'
  curl -s ${fn}/getBillingInfo -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"data":{"agentId":"${DEMO.agentId}"}}'

Press Ctrl-C to stop everything.`;
}

/** Runs the demo against the running emulators. */
export async function runDemo(): Promise<void> {
  await seedDemoIdentities();
  console.log(instructions());
}
