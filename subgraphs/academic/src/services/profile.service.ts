import { parseInput } from '@ai-teacher/shared';
import type { Profile } from '../entities/index.ts';
import { displayNameInput } from '../inputs.ts';
import type { AccessPolicy } from '../policy/access.policy.ts';
import type { ProfileRepository } from '../repositories/profile.repository.ts';
import type { Loaders } from './loaders.ts';

export interface ProfileServiceDeps {
  policy: AccessPolicy;
  profiles: ProfileRepository;
  loaders: Loaders;
}

/** Display names: visible to any signed-in user, edited only by their owner. */
export class ProfileService {
  private readonly d: ProfileServiceDeps;
  constructor(deps: ProfileServiceDeps) {
    this.d = deps;
  }

  async profileOf(userId: string): Promise<{ displayName: string } | null> {
    this.d.policy.user();
    const profile = await this.d.loaders.profile.load(userId);
    if (profile) return { displayName: profile.displayName };
    // Before a profile is edited, the name given at registration stands.
    const user = await this.d.loaders.directoryUser.load(userId);
    return user ? { displayName: user.displayName } : null;
  }

  async updateMyProfile(rawDisplayName: unknown): Promise<Pick<Profile, 'displayName'>> {
    const user = this.d.policy.user();
    const displayName = parseInput(displayNameInput, rawDisplayName, 'displayName');
    const profile = await this.d.profiles.upsert(user.userId, displayName);
    return { displayName: profile.displayName };
  }
}
