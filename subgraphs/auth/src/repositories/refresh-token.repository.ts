import { randomUUID } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@ai-teacher/shared';
import { RefreshToken } from '../entities/refresh-token.entity.ts';
import { UserRepository } from './user.repository.ts';

export type RevokeReason = 'logout' | 'reuse' | 'expired';

export class RefreshTokenRepository {
  private readonly em: EntityManager;
  constructor(em: EntityManager) {
    this.em = em;
  }

  async create(data: { userId: string; familyId: string; tokenHash: string; expiresAt: Date }): Promise<RefreshToken> {
    const row = this.em.create(RefreshToken, { id: randomUUID(), ...data });
    await this.em.flush();
    return row;
  }

  /**
   * Runs `fn` in a transaction holding a row lock on the token, so two refreshes racing with the
   * same token are serialised: the second sees it used and is treated as reuse.
   */
  withLockedToken<T>(
    tokenHash: string,
    fn: (token: RefreshToken | null, tx: { tokens: RefreshTokenRepository; users: UserRepository }) => Promise<T>,
  ): Promise<T> {
    return this.em.transactional(async (tx) => {
      const token = await tx.findOne(RefreshToken, { tokenHash }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      return fn(token, { tokens: new RefreshTokenRepository(tx), users: new UserRepository(tx) });
    });
  }

  findByHash(tokenHash: string): Promise<RefreshToken | null> {
    return this.em.findOne(RefreshToken, { tokenHash });
  }

  async markUsed(token: RefreshToken): Promise<void> {
    token.usedAt = new Date();
    await this.em.flush();
  }

  /** Revokes every live token of the family; returns how many were revoked. */
  revokeFamily(familyId: string, reason: RevokeReason): Promise<number> {
    return this.em.nativeUpdate(RefreshToken, { familyId, revokedAt: null }, { revokedAt: new Date(), revokedReason: reason });
  }
}
