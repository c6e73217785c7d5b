import { randomUUID } from 'node:crypto';
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager, Role } from '@ai-teacher/shared';
import { User } from '../entities/user.entity.ts';

export class EmailTakenError extends Error {}

export class UserRepository {
  private readonly em: EntityManager;
  constructor(em: EntityManager) {
    this.em = em;
  }

  findById(id: string): Promise<User | null> {
    return this.em.findOne(User, { id });
  }

  findByIds(ids: readonly string[]): Promise<User[]> {
    return this.em.find(User, { id: { $in: [...ids] } });
  }

  findByEmails(emails: readonly string[]): Promise<User[]> {
    return this.em.find(User, { email: { $in: [...emails] } });
  }

  findByEmail(email: string): Promise<User | null> {
    return this.em.findOne(User, { email });
  }

  /** Whether an account has this (normalised) email; read from the primary, which has every account. */
  async emailTaken(email: string): Promise<boolean> {
    return (await this.em.count(User, { email }, { connectionType: 'write' })) > 0;
  }

  /** With the password hash, which is not loaded otherwise. */
  findByEmailForLogin(email: string): Promise<User | null> {
    return this.em.findOne(User, { email }, { populate: ['passwordHash'] });
  }

  async create(data: { email: string; passwordHash: string; role: Role; displayName: string }): Promise<User> {
    const user = this.em.create(User, { id: randomUUID(), tokenVersion: 0, ...data });
    try {
      await this.em.flush();
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) {
        // The failed insert would otherwise be retried by the next flush of this EntityManager.
        this.em.clear();
        throw new EmailTakenError(data.email);
      }
      throw err;
    }
    return user;
  }

  /**
   * Sets the role and raises the user's token version by one, under a row lock so that concurrent
   * changes each get their own version. Null when there is no such user; `changed` is false (and
   * nothing is written) when the user already has the role.
   */
  changeRole(id: string, role: Role): Promise<{ user: User; changed: boolean } | null> {
    return this.em.transactional(async (tx) => {
      const user = await tx.findOne(User, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!user) return null;
      if (user.role === role) return { user, changed: false };
      user.role = role;
      user.tokenVersion += 1;
      await tx.flush();
      return { user, changed: true };
    });
  }
}
