import { defineEntity, p } from '@mikro-orm/postgresql';

/**
 * One refresh token. Tokens issued by rotating one another form a family (one sign-in); only a hash
 * of the token is stored, so a database leak does not leak usable tokens. The family id is also the
 * access tokens' `sid` (session id), so revoking a family can revoke its access tokens too.
 */
export const RefreshTokenSchema = defineEntity({
  name: 'RefreshToken',
  tableName: 'refresh_tokens',
  properties: {
    id: p.uuid().primary(),
    familyId: p.uuid().index(),
    /** When the family's first token was issued: the sign-in ends REFRESH_FAMILY_MAX_AGE later. */
    familyStartedAt: p.datetime(),
    userId: p.uuid().index(),
    tokenHash: p.string().length(64).unique(),
    expiresAt: p.datetime(),
    createdAt: p.datetime().onCreate(() => new Date()),
    usedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    revokedReason: p.string().length(32).nullable(),
  },
});

export class RefreshToken extends RefreshTokenSchema.class {}
RefreshTokenSchema.setClass(RefreshToken);
