/**
 * CPU time by process while a stretch of the benchmark runs, from /proc (Linux): where the time of
 * a message goes on this machine, whose 2 cores the Firestore emulator, the Functions emulator's
 * workers and the benchmark itself share. In a deployment only the function's share is ours.
 */
import * as fs from "node:fs";

/** The kinds of process a message spends CPU in. */
export type CpuShare = "Firestore emulator" | "function workers" | "other emulators" | "this process";

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

function kindOf(pid: string): CpuShare | null {
  if (pid === String(process.pid)) return "this process";
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "latin1");
    if (/firestore-launcher|cloud-firestore-emulator/.test(cmdline)) return "Firestore emulator";
    if (
      fs
        .readFileSync(`/proc/${pid}/environ`, "latin1")
        .split("\0")
        .some((e) => e.startsWith("FUNCTION_TARGET="))
    )
      return "function workers";
  } catch {
    return null; // exited while we looked, or not ours to read
  }
  return /firebase|emulator|java/.test(cmdline) ? "other emulators" : null;
}

/** CPU ticks so far of each live process we can classify, by pid. */
function sample(): Map<string, { kind: CpuShare; ticks: number }> {
  const out = new Map<string, { kind: CpuShare; ticks: number }>();
  if (!fs.existsSync("/proc/self/stat")) return out;
  for (const pid of fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    const kind = kindOf(pid);
    if (!kind) continue;
    try {
      // Fields after the command name (which may hold spaces): state is the 3rd field, utime the 14th, stime the 15th.
      const fields = fs.readFileSync(`/proc/${pid}/stat`, "latin1").split(") ")[1].split(" ");
      out.set(pid, { kind, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Runs `work` and returns the CPU milliseconds each kind of process spent meanwhile (processes that
 * started meanwhile count from zero, those that ended meanwhile are lost: a lower bound).
 */
export async function cpuWhile<T>(work: () => Promise<T>): Promise<{ result: T; cpuMs: Record<CpuShare, number> }> {
  const before = sample();
  const result = await work();
  const cpuMs: Record<CpuShare, number> = { "Firestore emulator": 0, "function workers": 0, "other emulators": 0, "this process": 0 };
  for (const [pid, { kind, ticks }] of sample()) cpuMs[kind] += ((ticks - (before.get(pid)?.ticks ?? 0)) * 1000) / TICKS_PER_SECOND;
  return { result, cpuMs };
}
