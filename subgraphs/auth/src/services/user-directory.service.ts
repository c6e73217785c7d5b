import type { MikroORM } from '@ai-teacher/shared';
import type { DirectoryUser } from '../contracts.ts';
import { UserRepository } from '../repositories/user.repository.ts';
import { normaliseEmail } from './auth.service.ts';

/** Answers other services' questions about users (the internal users/lookup route). */
export class UserDirectoryService {
  private readonly orm: MikroORM;
  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  async lookup(query: { ids: string[]; emails: string[] }): Promise<DirectoryUser[]> {
    const users = new UserRepository(this.orm.em.fork());
    const found = [
      ...(query.ids.length ? await users.findByIds(query.ids) : []),
      ...(query.emails.length ? await users.findByEmails(query.emails.map(normaliseEmail)) : []),
    ];
    const unique = new Map(found.map((u) => [u.id, { id: u.id, email: u.email, role: u.role, displayName: u.displayName }]));
    return [...unique.values()];
  }
}
