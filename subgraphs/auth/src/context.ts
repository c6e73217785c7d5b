import type { SubgraphContext } from '@ai-teacher/shared';
import type DataLoader from 'dataloader';
import type { User } from './entities/user.entity.ts';
import type { AuthService } from './services/auth.service.ts';

export interface AuthContext extends SubgraphContext {
  auth: AuthService;
  /** Batches `_entities` lookups of users into one query per request. */
  userLoader: DataLoader<string, User | null>;
}
