import react from '@vitejs/plugin-react';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Writes each script, style sheet, model and WebAssembly file of the build compressed beside it
 * (`x.js.br`, `x.js.gz`): the app server sends those to browsers that accept them
 * (src/visio/web/assets.py). Done once here instead of on every request.
 */
function precompress(): Plugin {
  const worth = /\.(js|css|wasm|svg|json|tflite|binarypb)$/;
  let outDir = '';
  return {
    name: 'visio-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    closeBundle() {
      const assets = join(outDir, 'assets');
      for (const name of readdirSync(assets)) {
        if (!worth.test(name)) continue;
        const file = join(assets, name);
        const data = readFileSync(file);
        if (data.length < 1024) continue;
        const brotli = brotliCompressSync(data, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: data.length > 1_000_000 ? 9 : 11,
            [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
          },
        });
        const gzip = gzipSync(data, { level: 9 });
        // Only where it pays: a model that hardly shrinks is sent as it is.
        if (brotli.length < data.length * 0.9) writeFileSync(`${file}.br`, brotli);
        if (gzip.length < data.length * 0.9) writeFileSync(`${file}.gz`, gzip);
      }
    },
  };
}

// The app server serves the built files from src/visio/web/dist (see the README).
export default defineConfig({
  plugins: [react(), precompress()],
  build: {
    outDir: '../src/visio/web/dist',
    emptyOutDir: true,
    target: 'es2022',
    // The effects' model files are fetched by URL; the CSP does not let the page fetch data: URLs.
    assetsInlineLimit: (file) => (/@mediapipe|@sapphi-red/.test(file) ? false : undefined),
  },
  server: {
    // `npm run dev` talks to a local `visio serve` (default port 8000) for the API and the WebSocket.
    proxy: {
      '/api': { target: 'http://127.0.0.1:8000', ws: true },
    },
  },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    environment: 'node',
  },
});
