// Writes docs/results.schema.json from the zod schema of results.json (npm run docs:schema).
import { writeFileSync } from 'node:fs';
import { resultsJsonSchema } from '../src/model/results.js';

writeFileSync(
  new URL('../docs/results.schema.json', import.meta.url),
  JSON.stringify(resultsJsonSchema(), null, 2) + '\n',
);
