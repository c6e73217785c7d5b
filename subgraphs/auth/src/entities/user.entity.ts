import { defineEntity, p } from '@mikro-orm/postgresql';
import { ROLES } from '@ai-teacher/shared';

export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.uuid().primary(),
    /** Normalised: NFKC, trimmed, lower-cased. Unique. */
    email: p.string().length(320).unique(),
    passwordHash: p.string().length(255).lazy(),
    role: p.enum(ROLES),
    displayName: p.string().length(100),
    /**
     * Raised whenever access tokens already issued to the user must stop working (a role change).
     * Access tokens carry it as `ver`; the router refuses tokens below the current value.
     */
    tokenVersion: p.integer().default(0),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export class User extends UserSchema.class {}
UserSchema.setClass(User);
