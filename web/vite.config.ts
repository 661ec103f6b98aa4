import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The app server serves the built files from src/visio/web/dist (see the README).
export default defineConfig({
  plugins: [react()],
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
