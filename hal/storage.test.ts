import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isValidStoragePath } from './storage.ts';

/** The rule as written in the contract, kept as the reference for the fast scanner. */
function reference(path: string): boolean {
  if (path.length === 0 || path.length > 512 || path.startsWith('/') || path.endsWith('/')) return false;
  return path.split('/').every((seg) => seg.length > 0 && seg !== '.' && seg !== '..' && !seg.includes('\0'));
}

describe('isValidStoragePath', () => {
  it('accepts relative paths and rejects empty, absolute, dot and NUL segments', () => {
    for (const ok of ['a', 'journal/0001.log', 'video/main/00000001.h264.part', '.hidden/x', 'a/..b/c']) expect(isValidStoragePath(ok), ok).toBe(true);
    for (const bad of ['', '/a', 'a/', 'a//b', '.', '..', 'a/./b', 'a/../b', 'a\0b', 'x'.repeat(513)]) expect(isValidStoragePath(bad), bad).toBe(false);
  });

  it('agrees with the reference rule on arbitrary strings (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', '.', '/', '\0', 'é'), { maxLength: 12 }).map((p) => p.join('')), (p) => {
        expect(isValidStoragePath(p)).toBe(reference(p));
      }),
      { numRuns: 5000 },
    );
  });
});
