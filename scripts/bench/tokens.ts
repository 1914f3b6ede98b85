/**
 * Local token counting throughput: countTextTokens (the tokenizer the backend uses when an agent
 * reports no usage) over the backend's own source files, a mix of prose and code, per encoding.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { countTextTokens } from "../../functions/src/domain/tokens";
import { ROOT } from "../local-env";
import type { Figure } from "./report";

const MIN_MS = 1_500;

function corpus(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts")) files.push(fs.readFileSync(full, "utf8"));
    }
  };
  walk(path.join(ROOT, "functions", "src"));
  return files;
}

/** Tokens per second for `model`'s encoding, counting the corpus over and over for MIN_MS. */
function throughput(texts: string[], model: string): number {
  texts.forEach((t) => countTextTokens(t, model));
  let tokens = 0;
  const started = performance.now();
  while (performance.now() - started < MIN_MS) for (const t of texts) tokens += countTextTokens(t, model);
  return Math.round(tokens / ((performance.now() - started) / 1000));
}

/** The token counting figures (informational: no target was set for them). */
export function measureTokens(): Figure[] {
  const texts = corpus();
  const kb = Math.round(texts.reduce((n, t) => n + t.length, 0) / 1024);
  return (["gpt-4", "gpt-4o"] as const).map((model) => ({
    group: "tokens" as const,
    name: `countTextTokens throughput (${model === "gpt-4" ? "cl100k_base" : "o200k_base"})`,
    value: throughput(texts, model),
    unit: "tokens/s",
    target: "—",
    pass: null,
    method: `functions/src/**/*.ts (${texts.length} files, ${kb} KB) counted repeatedly for ${MIN_MS / 1000} s, one core`,
  }));
}
