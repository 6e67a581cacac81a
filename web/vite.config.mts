import { defineConfig } from "vite";

/**
 * The web client: built into web/dist, which the gateway serves at `/` (services/gateway/web-client.ts). In
 * development `vite` serves it with the API proxied to a running `npm start` on port 3000.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  // Preact's automatic JSX runtime, without a Babel-based plugin.
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  resolve: { alias: { react: "preact/compat", "react-dom": "preact/compat" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2022",
    sourcemap: false,
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:3000", "/media": "http://127.0.0.1:3000" },
  },
});
