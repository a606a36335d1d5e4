import { describe, expect, it } from 'vitest';
import { parseStages, validateRecipeName, validateRef, validateRepoUrl } from '../../../src/validate/input.js';

describe('input validation', () => {
  it.each(['main', '1.1.0+1.27.2', 'refs/pull/7/head', 'feature/x_y-z', 'a'.repeat(40), 'HEAD'])(
    'accepts ref %s',
    (ref) => {
      expect(validateRef(ref)).toBe(ref);
    },
  );

  it.each([
    ['--upload-pack=touch /tmp/pwned', 'starts with "-"'],
    ['-b', 'starts with "-"'],
    ['main..other', 'contains ".."'],
    ['../../etc/passwd', 'contains ".."'],
    ['a b', 'only letters'],
    ['x;rm -rf /', 'only letters'],
    ['$(id)', 'only letters'],
    ['', 'empty'],
    ['refs//heads', 'empty path component'],
    ['branch.lock', '.lock'],
    ['.hidden', 'starts with "."'],
  ])('refuses ref %j', (ref, why) => {
    expect(() => validateRef(ref)).toThrow(why);
  });

  it.each(['custom-html', 'n8n', 'lasuite-docs'])('accepts recipe %s', (name) => {
    expect(validateRecipeName(name)).toBe(name);
  });

  it.each(['../etc', 'a/b', 'Custom', '-x', 'x-', '', 'a'.repeat(65), 'a..b'])('refuses recipe %j', (name) => {
    expect(() => validateRecipeName(name)).toThrow(/invalid recipe name/);
  });

  it.each(['https://git.example.org/coop-cloud/custom-html.git', 'file:///srv/repos/x', '/srv/repos/x'])(
    'accepts repo %s',
    (url) => {
      expect(validateRepoUrl(url)).toBe(url);
    },
  );

  it.each(['ext::sh -c touch% /tmp/x', '--upload-pack=x', 'relative/path', 'https://a b'])('refuses repo %j', (url) => {
    expect(() => validateRepoUrl(url)).toThrow(/invalid repository URL/);
  });

  it('parses stage lists and names unknown stages', () => {
    expect(parseStages('install, upgrade,install')).toEqual(['install', 'upgrade']);
    expect(() => parseStages('install,deploy')).toThrow(/unknown stage "deploy"/);
    expect(() => parseStages(',')).toThrow(/no stage given/);
  });
});
