// The overview's sparkline cache: built once per badge run, again when the badge run changes or
// after its time to live.
import { describe, expect, it } from 'vitest';
import { raw } from '../../../src/server/pages/html.js';
import { SparklineCache } from '../../../src/server/pages/sparklines.js';

describe('SparklineCache', () => {
  it('reuses a sparkline until the badge run changes or it is too old', () => {
    const cache = new SparklineCache(1000);
    let builds = 0;
    const build = () => raw(`<svg>${++builds}</svg>`);
    expect(cache.get('custom-html', 'r1', 0, build).value).toBe('<svg>1</svg>');
    expect(cache.get('custom-html', 'r1', 999, build).value).toBe('<svg>1</svg>');
    expect(cache.get('keycloak', 'k1', 999, build).value).toBe('<svg>2</svg>');
    expect(cache.get('custom-html', 'r2', 999, build).value).toBe('<svg>3</svg>');
    expect(cache.get('custom-html', 'r2', 1999, build).value).toBe('<svg>4</svg>');
    expect(builds).toBe(4);
  });
});
