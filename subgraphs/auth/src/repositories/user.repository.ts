import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
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

  /** With the password hash, which is not loaded otherwise. */
  findByEmailForLogin(email: string): Promise<User | null> {
    return this.em.findOne(User, { email }, { populate: ['passwordHash'] });
  }

  async create(data: { email: string; passwordHash: string; role: Role; displayName: string }): Promise<User> {
    const user = this.em.create(User, { id: randomUUID(), ...data });
    try {
      await this.em.flush();
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw new EmailTakenError(data.email);
      throw err;
    }
    return user;
  }

  async setRole(user: User, role: Role): Promise<User> {
    user.role = role;
    await this.em.flush();
    return user;
  }
}
