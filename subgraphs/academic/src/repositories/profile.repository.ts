import type { EntityManager } from '@ai-teacher/shared';
import { Profile } from '../entities/index.ts';

export class ProfileRepository {
  private readonly em: EntityManager;
  constructor(em: EntityManager) {
    this.em = em;
  }

  byUserIds(userIds: readonly string[]): Promise<Profile[]> {
    return this.em.find(Profile, { userId: { $in: [...userIds] } });
  }

  async upsert(userId: string, displayName: string): Promise<Profile> {
    return this.em.upsert(Profile, { userId, displayName, updatedAt: new Date() });
  }
}
