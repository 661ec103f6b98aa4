// Generates src/room/protocol.generated.ts from src/room/protocol.schema.json (itself written from
// the server's Pydantic models by `python -m visio.rooms.schema`). With --check, only says whether
// the committed file matches the schema, and fails when it does not.
import { readFile, writeFile } from 'node:fs/promises';
import { compile } from 'json-schema-to-typescript';

const SCHEMA = new URL('../src/room/protocol.schema.json', import.meta.url);
const OUTPUT = new URL('../src/room/protocol.generated.ts', import.meta.url);
const BANNER = `/**
 * The room protocol's message types, generated from src/room/protocol.schema.json by
 * \`npm run protocol\`: do not edit. The schema comes from src/visio/rooms/protocol.py
 * (\`python -m visio.rooms.schema\`); protocol.ts re-exports these types with the parsing code.
 */`;

const schema = JSON.parse(await readFile(SCHEMA, 'utf8'));
const generated = await compile(schema, 'RoomProtocolMessage', {
  bannerComment: BANNER,
  unreachableDefinitions: true,
  additionalProperties: false,
  declareExternallyReferenced: true,
  strictIndexSignatures: true,
  maxItems: -1, // `tracks: TrackInfo[]`, not a union of tuples up to its maximum length.
  style: { singleQuote: true, printWidth: 120 },
});

if (process.argv.includes('--check')) {
  const committed = await readFile(OUTPUT, 'utf8').catch(() => '');
  if (committed !== generated) {
    console.error('src/room/protocol.generated.ts does not match protocol.schema.json: run `npm run protocol`.');
    process.exit(1);
  }
  console.log('protocol.generated.ts matches protocol.schema.json');
} else {
  await writeFile(OUTPUT, generated);
}
