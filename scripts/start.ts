/**
 * `npm start`: the emulators, the local agent and the functions, with the demo run against them;
 * then it stays up, printing how to call it, until Ctrl-C stops everything it started.
 */
import { serveEmulators, underLock } from "./emulators";
import { runDemo } from "./demo";

async function main(): Promise<number> {
  const locked = underLock();
  if (locked) return locked;
  return serveEmulators(runDemo);
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.message);
    process.exit(1);
  },
);
