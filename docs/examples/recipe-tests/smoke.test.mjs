// tests/smoke.test.mjs in a recipe repository: the worked example of docs/writing-tests.md.
// cc-ci runs it with Node's test runner against the live install app.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const base = process.env.CCCI_BASE_URL;

test('the home page answers and names the release', async () => {
  const res = await fetch(`${base}/`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, new RegExp(process.env.CCCI_RECIPE));
});

test('the version file matches the deployed version', async () => {
  const res = await fetch(`${base}/version.txt`);
  assert.equal((await res.text()).trim(), process.env.CCCI_VERSION);
});
