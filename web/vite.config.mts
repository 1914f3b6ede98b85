/**
 * The owner's web console: React 19 on Vite, built to web/dist, which the Hosting emulator serves
 * at http://127.0.0.1:5000. The client SDK is bundled from its TypeScript source (its contract
 * types are type-only imports, erased here, so no functions code reaches the page).
 */
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here("."),
  plugins: [react()],
  resolve: { alias: { "@agent-billing/client": here("../client/src/index.ts") } },
  build: { outDir: here("dist"), emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: { host: "127.0.0.1", port: 5173 },
  test: { environment: "node", include: ["src/**/*.test.ts", "src/**/*.test.tsx"] },
});
