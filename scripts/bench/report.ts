/** The benchmark's figures: a table on the terminal and bench/results.json. */
import * as fs from "node:fs";
import * as path from "node:path";
import { table } from "../cli-format";
import { ROOT } from "../local-env";

/** One measured figure. `pass` is null for figures without a target (informational). */
export interface Figure {
  group: "latency" | "documents" | "hot-agent" | "rollup" | "analytics" | "export" | "account" | "dispatch" | "tokens";
  name: string;
  value: number | string;
  unit: string;
  target: string;
  pass: boolean | null;
  /** How it was measured, when the name does not say. */
  method?: string;
}

const status = (pass: boolean | null) => (pass === null ? "info" : pass ? "PASS" : "FAIL");
const shown = (f: Figure) =>
  `${typeof f.value === "number" ? f.value.toLocaleString("en-US", { maximumFractionDigits: 2 }) : f.value}${f.unit ? ` ${f.unit}` : ""}`;

/** The table printed at the end of `npm run bench`. */
export function renderFigures(figures: readonly Figure[]): string {
  return table(
    ["group", "figure", "value", "target", "result"],
    figures.map((f) => [f.group, f.name, shown(f), f.target, status(f.pass)]),
  );
}

/** Writes bench/results.json: every figure, its method, and the run's context. */
export function writeResults(figures: readonly Figure[], context: Record<string, unknown>): string {
  const file = path.join(ROOT, "bench", "results.json");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const passed = figures.filter((f) => f.pass === true).length;
  const failed = figures.filter((f) => f.pass === false).length;
  const body = {
    generatedAt: new Date().toISOString(),
    summary: { passed, failed, informational: figures.length - passed - failed },
    context,
    figures,
  };
  fs.writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}
