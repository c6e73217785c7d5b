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
  type TokenRevocation,
} from '@ai-teacher/shared';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AuthConfig } from '../config.ts';
import type { User } from '../entities/user.entity.ts';
import type { RefreshTokenRepository } from '../repositories/refresh-token.repository.ts';
import { EmailTakenError, type UserRepository } from '../repositories/user.repository.ts';
import type { LoginThrottle } from './login-throttle.service.ts';
import { PASSWORD_MAX_LENGTH, type PasswordHasher, passwordProblem } from './password.service.ts';
import type { RegistrationThrottle } from './registration-throttle.service.ts';
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
  registrations: RegistrationThrottle;
  revocation: TokenRevocation;
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

  /**
   * Every attempt with valid input counts against the client address's sign-up allowance before
   * anything else is done, so one address can neither make the server run argon2 without bound nor
   * probe more than a few emails. A taken email is answered CONFLICT (the contract: a successful
   * `register` signs in, so there is no answer that hides it), but only after the same argon2 work
   * a new account costs, so the time taken tells nothing the answer does not.
   */
  async register(raw: unknown, clientIp: string): Promise<AuthResult> {
    const input = parseInput(registerInput, raw, 'input');
    const problem = passwordProblem(input.password, input.email);
    if (problem) throw new BadUserInputError(`Password ${problem}`, 'input.password');
    await this.d.registrations.consume(clientIp);
    const taken = await this.d.users.emailTaken(input.email);
    const passwordHash = await this.d.hasher.hash(input.password);
    const conflict = () => new ConflictError('An account with this email already exists', 'input.email');
    if (taken) throw conflict();
    let user: User;
    try {
      user = await this.d.users.create({ email: input.email, passwordHash, role: 'STUDENT', displayName: input.displayName });
    } catch (err) {
      // Registered by a concurrent request since the check.
      if (err instanceof EmailTakenError) throw conflict();
      throw err;
    }
    this.d.logger.info({ userId: user.id }, 'user registered');
    return this.issue(user, newFamily());
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
    return this.issue(user, newFamily());
  }

  /**
   * Rotation with reuse detection (RFC 9700 §4.14.2): each refresh token works once; presenting one
   * that was already used or revoked revokes its whole family, ending the attacker's and the
   * victim's session alike, access tokens included. A sign-in also ends REFRESH_FAMILY_MAX_AGE
   * after it began, however often it was refreshed. The new access token carries the user's
   * current role and token version.
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
      if (row.familyStartedAt.getTime() + this.d.config.REFRESH_FAMILY_MAX_AGE * 1000 <= Date.now()) return { kind: 'too-old' as const };
      if (row.expiresAt.getTime() <= Date.now()) return { kind: 'expired' as const };
      const user = await tx.users.findById(row.userId);
      if (!user) return { kind: 'unknown' as const };
      await tx.tokens.markUsed(row);
      return { kind: 'ok' as const, result: await this.issue(user, { id: row.familyId, startedAt: row.familyStartedAt }, tx.tokens) };
    });
    switch (outcome.kind) {
      case 'unknown':
        throw new UnauthenticatedError('Refresh token is invalid');
      case 'too-old':
        throw new UnauthenticatedError('This sign-in has reached its maximum age; sign in again');
      case 'expired':
        throw new UnauthenticatedError('Refresh token has expired; sign in again');
      case 'reuse':
        this.d.logger.warn({ userId: outcome.userId, familyId: outcome.familyId, revoked: outcome.revoked }, 'refresh token reuse detected; family revoked');
        await this.revokeAccessTokens(outcome.familyId);
        throw new UnauthenticatedError('Refresh token was already used; this sign-in has been ended, sign in again');
      case 'ok':
        return outcome.result;
    }
  }

  /**
   * Ends the sign-in: its refresh tokens and its access tokens (through the `sid` deny key the
   * router reads). The deny key is written even when the family was already revoked, so a logout
   * retried after a Redis failure still takes effect.
   */
  async logout(rawToken: unknown): Promise<boolean> {
    const token = parseInput(refreshTokenInput, rawToken, 'refreshToken');
    const row = await this.d.refreshTokens.findByHash(hashRefreshToken(token));
    if (!row) return false;
    const revoked = await this.d.refreshTokens.revokeFamily(row.familyId, 'logout');
    await this.d.revocation.revokeSession(row.familyId);
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
    const outcome = await this.d.users.changeRole(userId, newRole);
    if (!outcome) throw new NotFoundError('No user with this id');
    const { user, changed } = outcome;
    // Access tokens issued before the change are refused from now on (the client refreshes and gets
    // the new role). Published again when nothing changed, so a call retried after a Redis failure
    // still takes effect; the key never goes down.
    await this.d.revocation.requireTokenVersion(user.id, user.tokenVersion);
    if (changed) this.d.logger.info({ userId, role: newRole, tokenVersion: user.tokenVersion, by: identity.userId }, 'role changed');
    return user;
  }

  /**
   * The first admin from configuration (ADMIN_EMAIL / ADMIN_PASSWORD at start-up): created only
   * when no account has that email. An existing account is left exactly as it is: an ADMIN keeps
   * its password, and any other account is not promoted (whoever registered the address first
   * would otherwise become ADMIN, and a demoted admin would be re-promoted at every restart); an
   * error says what to do instead, and the service starts normally.
   */
  async ensureAdmin(rawEmail: string, password: string): Promise<'created' | 'exists' | 'not-promoted'> {
    const adminEmail = normaliseEmail(rawEmail);
    const existing = await this.d.users.findByEmail(adminEmail);
    if (existing) return this.existingAdminAccount(existing);
    const problem = passwordProblem(password, adminEmail);
    if (problem) throw new Error(`ADMIN_PASSWORD ${problem}`);
    const passwordHash = await this.d.hasher.hash(password);
    try {
      const user = await this.d.users.create({ email: adminEmail, passwordHash, role: 'ADMIN', displayName: 'Administrator' });
      this.d.logger.info({ userId: user.id }, 'admin account created from ADMIN_EMAIL');
      return 'created';
    } catch (err) {
      if (!(err instanceof EmailTakenError)) throw err;
      // Another replica created it, or somebody registered the address, at the same moment.
      const now = await this.d.users.findByEmail(adminEmail);
      if (!now) throw err;
      return this.existingAdminAccount(now);
    }
  }

  private existingAdminAccount(user: User): 'exists' | 'not-promoted' {
    if (user.role === 'ADMIN') {
      this.d.logger.info({ userId: user.id }, 'admin account from ADMIN_EMAIL exists; left unchanged (ADMIN_PASSWORD is used only to create it)');
      return 'exists';
    }
    this.d.logger.error(
      { userId: user.id, role: user.role },
      `ADMIN_EMAIL ${user.email} belongs to an existing ${user.role} account, which was NOT made an administrator: ` +
        'an account that already exists is never promoted from configuration (whoever registered the address first, or an admin who was demoted). ' +
        'If the account is yours and should be an administrator, have an administrator promote it with setUserRole; ' +
        'if there is no administrator yet, set ADMIN_EMAIL to an address that has no account and restart (the admin is then created with ADMIN_PASSWORD), ' +
        'or promote it in the database after checking whose it is. Starting normally.',
    );
    return 'not-promoted';
  }

  /** Access tokens of this sign-in are refused from now on; failing that, they expire within ACCESS_TOKEN_TTL. */
  private async revokeAccessTokens(familyId: string): Promise<void> {
    try {
      await this.d.revocation.revokeSession(familyId);
    } catch (err) {
      this.d.logger.error({ err, familyId }, 'could not revoke the access tokens of a revoked sign-in');
    }
  }

  private async issue(user: User, family: { id: string; startedAt: Date }, tokens = this.d.refreshTokens): Promise<AuthResult> {
    const access = await this.d.tokens.signAccessToken(user, family.id);
    const refresh = newRefreshToken();
    // A refresh token never outlives its sign-in.
    const expiresAt = Math.min(Date.now() + this.d.config.REFRESH_TOKEN_TTL * 1000, family.startedAt.getTime() + this.d.config.REFRESH_FAMILY_MAX_AGE * 1000);
    await tokens.create({ userId: user.id, familyId: family.id, familyStartedAt: family.startedAt, tokenHash: refresh.hash, expiresAt: new Date(expiresAt) });
    return { accessToken: access.token, refreshToken: refresh.token, expiresIn: access.expiresIn, user };
  }
}

/** A new sign-in: a refresh-token family that starts now. */
function newFamily(): { id: string; startedAt: Date } {
  return { id: randomUUID(), startedAt: new Date() };
}
