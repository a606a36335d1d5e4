import { describe, expect, it } from 'vitest';
import {
  isOnOrigin,
  parseStages,
  validateRecipeName,
  validateRef,
  validateRepoUrl,
} from '../../../src/validate/input.js';

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

  it.each([
    'https://git.example.org/coop-cloud/custom-html.git',
    'file:///srv/repos/x',
    '/srv/repos/x',
    'ssh://git@git.example.org/coop-cloud/x.git',
    'git@git.example.org:coop-cloud/x.git',
  ])('accepts repo %s', (url) => {
    expect(validateRepoUrl(url)).toBe(url);
  });

  it.each(['ext::sh -c touch% /tmp/x', '--upload-pack=x', 'relative/path', 'https://a b'])('refuses repo %j', (url) => {
    expect(() => validateRepoUrl(url)).toThrow(/invalid repository URL/);
  });

  it.each([
    'https://bot:hunter2-password@git.example.org/coop-cloud/x.git',
    'http://hunter2-password@127.0.0.1:9/x.git',
    'HTTPS://bot:hunter2-password@git.example.org/x.git',
    'ssh://git:hunter2-password@git.example.org/x.git',
    'https://bot:hunter2-password@git.example.org/a b',
  ])('refuses repo %j with credentials, pointing to credential helpers, without repeating them', (url) => {
    expect(() => validateRepoUrl(url)).toThrow(/carries credentials.*credential helper/);
    expect(() => validateRepoUrl(url)).not.toThrow(/hunter2/);
  });

  it('a repository is on an origin only when its URL starts with the origin and a slash', () => {
    const origins = ['https://git.example.org', 'http://127.0.0.1:3000/', 'file:///srv/mirrors/'];
    expect(isOnOrigin('https://git.example.org/coop-cloud/x.git', origins)).toBe(true);
    expect(isOnOrigin('http://127.0.0.1:3000/o/x.git', origins)).toBe(true);
    expect(isOnOrigin('file:///srv/mirrors/x', origins)).toBe(true);
    for (const url of [
      'https://git.example.org.evil.example/x.git',
      'https://git.example.org:8443/x.git',
      'http://git.example.org/x.git',
      'https://evil.example/https://git.example.org/x',
      'file:///srv/repos/x',
      'file:///srv/mirrors/../repos/x',
      'file:///srv/mirrors/%2e%2e/repos/x',
      'file:///srv/mirrors',
      'https://git.example.org',
    ])
      expect(isOnOrigin(url, origins), url).toBe(false);
  });

  it('parses stage lists and names unknown stages', () => {
    expect(parseStages('install, upgrade,install')).toEqual(['install', 'upgrade']);
    expect(() => parseStages('install,deploy')).toThrow(/unknown stage "deploy"/);
    expect(() => parseStages(',')).toThrow(/no stage given/);
  });
});
