import { describe, expect, it } from '@jest/globals';
import type { Identity } from '@ai-teacher/shared';
import type { MembershipRepository } from '../repositories/membership.repository.ts';
import { AccessPolicy } from './access.policy.ts';

const [MATHS, PHYSICS, HISTORY] = ['c-maths', 'c-physics', 'c-history'];

/** Memberships in memory, counting the look-ups the policy makes. */
function members(enrolled: string[], taught: string[]) {
  const calls = { enrolled: 0, taught: 0 };
  const repo = {
    enrolledCourseIds: async () => (calls.enrolled++, enrolled),
    taughtCourseIds: async () => (calls.taught++, taught),
  };
  return { repo: repo as unknown as MembershipRepository, calls };
}

const student: Identity = { userId: 'u-student', role: 'STUDENT' };
const teacher: Identity = { userId: 'u-teacher', role: 'TEACHER' };
const admin: Identity = { userId: 'u-admin', role: 'ADMIN' };

describe('AccessPolicy', () => {
  it('refuses an anonymous caller everything, and a non-admin what only ADMIN may do', async () => {
    const anonymous = new AccessPolicy(null, members([], []).repo);
    expect(() => anonymous.user()).toThrow(expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } }));
    await expect(anonymous.canRead(MATHS)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect(() => new AccessPolicy(teacher, members([], []).repo).admin()).toThrow(
      expect.objectContaining({ message: 'Only administrators can do this', extensions: { code: 'FORBIDDEN' } }),
    );
    expect(new AccessPolicy(admin, members([], []).repo).admin()).toBe(admin);
  });

  it('decides per course from the caller’s memberships, loading them once per request', async () => {
    const { repo, calls } = members([MATHS], [PHYSICS]);
    const policy = new AccessPolicy(teacher, repo);
    expect(await policy.rights(MATHS)).toEqual({ canRead: true, canTeach: false });
    expect(await policy.rights(PHYSICS)).toEqual({ canRead: true, canTeach: true });
    expect(await policy.rights(HISTORY)).toEqual({ canRead: false, canTeach: false });
    expect(await policy.readable()).toEqual(new Set([MATHS, PHYSICS]));
    expect(await policy.readableOf([{ id: HISTORY }, { id: PHYSICS }, { id: MATHS }])).toEqual([{ id: PHYSICS }, { id: MATHS }]);
    expect(calls).toEqual({ enrolled: 1, taught: 1 });
  });

  it('lets a student read, never teach', async () => {
    const policy = new AccessPolicy(student, members([MATHS], []).repo);
    expect(await policy.canRead(MATHS)).toBe(true);
    expect(await policy.canTeach(MATHS)).toBe(false);
    expect(await policy.canRead(PHYSICS)).toBe(false);
  });

  it('gives ADMIN every course without looking memberships up', async () => {
    const { repo, calls } = members([], []);
    const policy = new AccessPolicy(admin, repo);
    expect(await policy.rights(HISTORY)).toEqual({ canRead: true, canTeach: true });
    expect(await policy.readable()).toBe('all');
    expect(await policy.readableOf([{ id: HISTORY }])).toEqual([{ id: HISTORY }]);
    expect(calls).toEqual({ enrolled: 0, taught: 0 });
  });
});
