import { defineConfig } from 'vite';

// /embed/visio-embed.js, the library embedding sites load (docs/embedding.md): one classic script,
// no dependencies, a stable name (sites link to it), next to the app's files. Built after the app.
export default defineConfig({
  build: {
    outDir: '../src/visio/web/dist/embed',
    emptyOutDir: false,
    copyPublicDir: false,
    target: 'es2020',
    sourcemap: true,
    lib: {
      entry: 'src/embed/client/entry.ts',
      name: 'VisioMeeting',
      formats: ['iife'],
      fileName: () => 'visio-embed.js',
    },
  },
});
