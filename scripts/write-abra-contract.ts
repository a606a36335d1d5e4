// Rewrites the table section of docs/abra-contract.md from src/abra/abra-calls.ts (npm run docs:abra-contract).
import { readFileSync, writeFileSync } from 'node:fs';
import { withRenderedTable } from './abra-contract.js';

const doc = new URL('../docs/abra-contract.md', import.meta.url);
writeFileSync(doc, withRenderedTable(readFileSync(doc, 'utf8')));
