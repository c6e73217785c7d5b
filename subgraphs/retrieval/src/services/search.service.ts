import type { MikroORM } from '@ai-teacher/shared';
import type { SearchAnswer } from '../contracts.ts';
import { ChunkRepository } from '../repositories/chunk.repository.ts';
import { IngestionRepository } from '../repositories/ingestion.repository.ts';
import type { RetrievalRuntime } from '../runtime.ts';
import { searchPassages } from '../search/search.ts';

/** The tutor's grounding: a course-scoped search for a user the caller has already authorised. */
export class InternalSearchService {
  private readonly orm: MikroORM;
  private readonly runtime: RetrievalRuntime;
  constructor(orm: MikroORM, runtime: RetrievalRuntime) {
    this.orm = orm;
    this.runtime = runtime;
  }

  async search(courseId: string, query: string, limit: number): Promise<SearchAnswer> {
    const course = await this.runtime.scope.course(courseId);
    if (!course) return { course: null, passages: [], books: [] };
    const [passages, books] = await Promise.all([
      searchPassages(this.runtime, new ChunkRepository(this.orm.em.fork()), course, query, limit),
      new IngestionRepository(this.orm.em.fork()).readyOfCourse(courseId),
    ]);
    return { course, passages, books };
  }
}
