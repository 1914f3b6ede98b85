/**
 * `npm start`: the emulators, the local agent and the functions, with the demo run against them,
 * and the owner's web console served by the Hosting emulator; then it stays up, printing how to
 * call it and where the console is, until Ctrl-C stops everything it started.
 */
import { serveEmulators, underLock } from "./emulators";
import { runDemo } from "./demo";
import { DEMO } from "./demo-setup";
import { CONSOLE_URL } from "./local-env";

async function main(): Promise<number> {
  const locked = underLock();
  if (locked) return locked;
  return serveEmulators(async () => {
    await runDemo();
    console.log(`\nWeb console: ${CONSOLE_URL}  (sign in as ${DEMO.email} / ${DEMO.password})`);
  });
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.message);
    process.exit(1);
  },
);
