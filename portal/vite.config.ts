import { defineConfig } from "vitest/config";

// Built into dist/, which the local cloud serves at http://127.0.0.1:8787/ beside the
// API (one origin: no CORS). `npm run dev` serves the sources instead and sends the
// API's paths to a local cloud already running.
export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { target: "es2022", sourcemap: false },
  // The unit tests of the portal's own rules (the browser tests are Playwright's, in e2e/).
  test: { include: ["src/**/*.test.ts"] },
  server: {
    proxy: { "/v1": "http://127.0.0.1:8787", "/openapi.json": "http://127.0.0.1:8787" },
  },
});
