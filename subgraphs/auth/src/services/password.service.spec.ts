import { describe, expect, it } from '@jest/globals';
import { PasswordHasher, passwordProblem } from './password.service.ts';

describe('password policy', () => {
  it.each([
    ['short', /at least 10/],
    ['password123', /too common/],
    ['Qwertyuiop', /too common/],
    ['x'.repeat(257), /at most 256/],
    ['grace.hopper.rules', /email/],
  ])('refuses %s', (password, why) => {
    expect(passwordProblem(password, 'grace.hopper@uni.test')).toMatch(why);
  });

  it('accepts a long passphrase, counting characters not bytes', () => {
    expect(passwordProblem('correct horse battery staple', 'a@uni.test')).toBeNull();
    expect(passwordProblem('ŝŝŝŝŝŝŝŝŝŝ', 'a@uni.test')).toBeNull();
  });
});

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(19_456, 2);
  it('hashes with argon2id and verifies', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await hasher.verify(hash, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(hash, 'wrong horse battery staple')).toBe(false);
  });

  it('answers false for unknown users and garbage hashes without throwing', async () => {
    expect(await hasher.verify(null, 'anything at all')).toBe(false);
    expect(await hasher.verify('not-a-hash', 'anything at all')).toBe(false);
  });
});
