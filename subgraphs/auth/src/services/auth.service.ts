import { randomUUID } from 'node:crypto';
import {
  BadUserInputError,
  ConflictError,
  ForbiddenError,
  type Identity,
  NotFoundError,
  parseInput,
  type Role,
  UnauthenticatedError,
  ROLES,
} from '@ai-teacher/shared';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AuthConfig } from '../config.ts';
import type { User } from '../entities/user.entity.ts';
import type { RefreshTokenRepository } from '../repositories/refresh-token.repository.ts';
import { EmailTakenError, type UserRepository } from '../repositories/user.repository.ts';
import type { LoginThrottle } from './login-throttle.service.ts';
import { PASSWORD_MAX_LENGTH, type PasswordHasher, passwordProblem } from './password.service.ts';
import { hashRefreshToken, newRefreshToken, type TokenService } from './token.service.ts';

export interface AuthResult {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: User;
}

/** NFKC, trimmed, lower-cased: one account per mailbox however it is typed. */
export function normaliseEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

const email = z
  .string()
  .transform(normaliseEmail)
  .pipe(z.email({ message: 'must be a valid email address' }).max(320, 'must be at most 320 characters'));

const registerInput = z.object({
  email,
  password: z.string(),
  displayName: z
    .string()
    .transform((s) => s.normalize('NFC').trim().replace(/\s+/g, ' '))
    .pipe(z.string().min(1, 'must not be blank').max(100, 'must be at most 100 characters')),
});

const loginInput = z.object({
  email: z.string().transform(normaliseEmail).pipe(z.string().min(1, 'must not be blank').max(320)),
  password: z.string().min(1, 'must not be blank').max(PASSWORD_MAX_LENGTH * 4, 'is too long'),
});

const refreshTokenInput = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'is not a refresh token');
const uuid = z.uuid({ message: 'must be a valid id' });
const role = z.enum(ROLES);

export interface AuthServiceDeps {
  users: UserRepository;
  refreshTokens: RefreshTokenRepository;
  hasher: PasswordHasher;
  tokens: TokenService;
  throttle: LoginThrottle;
  config: AuthConfig;
  logger: Logger;
}

export class AuthService {
  private readonly d: AuthServiceDeps;
  constructor(deps: AuthServiceDeps) {
    this.d = deps;
  }

  /** Users by id, for entity references (no permission needed: a reference names a known user). */
  usersByIds(ids: readonly string[]): Promise<User[]> {
    return this.d.users.findByIds(ids);
  }

  async register(raw: unknown): Promise<AuthResult> {
    const input = parseInput(registerInput, raw, 'input');
    const problem = passwordProblem(input.password, input.email);
    if (problem) throw new BadUserInputError(`Password ${problem}`, 'input.password');
    let user: User;
    try {
      user = await this.d.users.create({
        email: input.email,
        passwordHash: await this.d.hasher.hash(input.password),
        role: 'STUDENT',
        displayName: input.displayName,
      });
    } catch (err) {
      if (err instanceof EmailTakenError) throw new ConflictError('An account with this email already exists', 'input.email');
      throw err;
    }
    this.d.logger.info({ userId: user.id }, 'user registered');
    return this.issue(user, randomUUID());
  }

  async login(raw: unknown, clientIp: string): Promise<AuthResult> {
    const input = parseInput(loginInput, raw, 'input');
    await this.d.throttle.assertAllowed(input.email, clientIp);
    const user = await this.d.users.findByEmailForLogin(input.email);
    const ok = await this.d.hasher.verify(user?.passwordHash ?? null, input.password);
    if (!user || !ok) {
      await this.d.throttle.recordFailure(input.email, clientIp);
      this.d.logger.info({ clientIp, knownAccount: Boolean(user) }, 'failed login');
      throw new UnauthenticatedError('Invalid email or password');
    }
    await this.d.throttle.recordSuccess(input.email);
    return this.issue(user, randomUUID());
  }

  /**
   * Rotation with reuse detection (RFC 9700 §4.14.2): each refresh token works once; presenting one
   * that was already used or revoked revokes its whole family, ending the attacker's and the
   * victim's session alike.
   */
  async refresh(rawToken: unknown): Promise<AuthResult> {
    const token = parseInput(refreshTokenInput, rawToken, 'refreshToken');
    // Reuse is answered after the transaction commits, so the family stays revoked.
    const outcome = await this.d.refreshTokens.withLockedToken(hashRefreshToken(token), async (row, tx) => {
      if (!row) return { kind: 'unknown' as const };
      if (row.usedAt || row.revokedAt) {
        const revoked = await tx.tokens.revokeFamily(row.familyId, 'reuse');
        return { kind: 'reuse' as const, familyId: row.familyId, userId: row.userId, revoked };
      }
      if (row.expiresAt.getTime() <= Date.now()) return { kind: 'expired' as const };
      const user = await tx.users.findById(row.userId);
      if (!user) return { kind: 'unknown' as const };
      await tx.tokens.markUsed(row);
      return { kind: 'ok' as const, result: await this.issue(user, row.familyId, tx.tokens) };
    });
    switch (outcome.kind) {
      case 'unknown':
        throw new UnauthenticatedError('Refresh token is invalid');
      case 'expired':
        throw new UnauthenticatedError('Refresh token has expired; sign in again');
      case 'reuse':
        this.d.logger.warn({ userId: outcome.userId, familyId: outcome.familyId, revoked: outcome.revoked }, 'refresh token reuse detected; family revoked');
        throw new UnauthenticatedError('Refresh token was already used; this sign-in has been ended, sign in again');
      case 'ok':
        return outcome.result;
    }
  }

  async logout(rawToken: unknown): Promise<boolean> {
    const token = parseInput(refreshTokenInput, rawToken, 'refreshToken');
    const row = await this.d.refreshTokens.findByHash(hashRefreshToken(token));
    if (!row) return false;
    const revoked = await this.d.refreshTokens.revokeFamily(row.familyId, 'logout');
    return revoked > 0;
  }

  async me(identity: Identity | null): Promise<User | null> {
    return identity ? this.d.users.findById(identity.userId) : null;
  }

  async setUserRole(identity: Identity | null, rawUserId: unknown, rawRole: unknown): Promise<User> {
    if (!identity) throw new UnauthenticatedError();
    if (identity.role !== 'ADMIN') throw new ForbiddenError('Only administrators can change roles');
    const userId = parseInput(uuid, rawUserId, 'userId');
    const newRole: Role = parseInput(role, rawRole, 'role');
    if (userId === identity.userId) throw new ConflictError('Administrators cannot change their own role', 'userId');
    const user = await this.d.users.findById(userId);
    if (!user) throw new NotFoundError('No user with this id');
    if (user.role === newRole) return user;
    await this.d.users.setRole(user, newRole);
    this.d.logger.info({ userId, role: newRole, by: identity.userId }, 'role changed');
    return user;
  }

  /** Creates the first admin from configuration, or promotes the existing account. */
  async ensureAdmin(rawEmail: string, password: string): Promise<void> {
    const adminEmail = normaliseEmail(rawEmail);
    const existing = await this.d.users.findByEmailForLogin(adminEmail);
    if (existing) {
      if (existing.role !== 'ADMIN') {
        await this.d.users.setRole(existing, 'ADMIN');
        this.d.logger.info({ userId: existing.id }, 'existing account promoted to admin from ADMIN_EMAIL');
      }
      return;
    }
    const problem = passwordProblem(password, adminEmail);
    if (problem) throw new Error(`ADMIN_PASSWORD ${problem}`);
    try {
      const user = await this.d.users.create({
        email: adminEmail,
        passwordHash: await this.d.hasher.hash(password),
        role: 'ADMIN',
        displayName: 'Administrator',
      });
      this.d.logger.info({ userId: user.id }, 'admin account created from ADMIN_EMAIL');
    } catch (err) {
      // Another replica created it at the same moment.
      if (!(err instanceof EmailTakenError)) throw err;
    }
  }

  private async issue(user: User, familyId: string, tokens = this.d.refreshTokens): Promise<AuthResult> {
    const access = await this.d.tokens.signAccessToken({ id: user.id, role: user.role });
    const refresh = newRefreshToken();
    await tokens.create({
      userId: user.id,
      familyId,
      tokenHash: refresh.hash,
      expiresAt: new Date(Date.now() + this.d.config.REFRESH_TOKEN_TTL * 1000),
    });
    return { accessToken: access.token, refreshToken: refresh.token, expiresIn: access.expiresIn, user };
  }
}
