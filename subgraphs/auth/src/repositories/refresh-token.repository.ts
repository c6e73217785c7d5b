import { randomUUID } from 'node:crypto';
import { LockMode, type QueryResult } from '@mikro-orm/core';
import type { EntityManager } from '@ai-teacher/shared';
import { RefreshToken } from '../entities/refresh-token.entity.ts';
import { UserRepository } from './user.repository.ts';

export type RevokeReason = 'logout' | 'reuse' | 'expired';

/** Rows deleted per statement by `deleteUnusable`, so no statement holds many row locks for long. */
const DELETE_BATCH = 1_000;

export class RefreshTokenRepository {
  private readonly em: EntityManager;
  constructor(em: EntityManager) {
    this.em = em;
  }

  async create(data: { userId: string; familyId: string; familyStartedAt: Date; tokenHash: string; expiresAt: Date }): Promise<RefreshToken> {
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

  /**
   * Deletes up to `maxRows` rows that can never be exchanged again: expired, revoked, or of a family
   * that began before `familyStartedBefore` (past its absolute lifetime). Rows of live families that
   * were already used stay until they expire, so presenting one still counts as reuse. Rows locked
   * by a refresh in progress (or by another replica's clean-up) are skipped. Returns how many went.
   */
  async deleteUnusable(familyStartedBefore: Date, maxRows: number): Promise<number> {
    let deleted = 0;
    while (deleted < maxRows) {
      const batch = Math.min(DELETE_BATCH, maxRows - deleted);
      const res = await this.em.execute<QueryResult>(
        `delete from "auth"."refresh_tokens" where "id" in (
           select "id" from "auth"."refresh_tokens"
           where "expires_at" <= now() or "revoked_at" is not null or "family_started_at" <= ?
           limit ? for update skip locked)`,
        [familyStartedBefore, batch],
        'run',
      );
      deleted += res.affectedRows;
      if (res.affectedRows < batch) break;
    }
    return deleted;
  }
}
