import type { SubgraphContext } from '@ai-teacher/shared';
import type { BookService } from './services/book.service.ts';
import type { HierarchyService } from './services/hierarchy.service.ts';
import type { ImportService } from './services/import.service.ts';
import type { MembershipService } from './services/membership.service.ts';
import type { ProfileService } from './services/profile.service.ts';

/** What academic's resolvers see: request-scoped services, each checking access itself. */
export interface AcademicContext extends SubgraphContext {
  hierarchy: HierarchyService;
  books: BookService;
  memberships: MembershipService;
  profiles: ProfileService;
  imports: ImportService;
}
