import type { MikroORM } from '@ai-teacher/shared';
import { type BookPassage, type CourseBook, COURSE_PASSAGES_MAX, type SearchAnswer } from '../contracts.ts';
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

  async courseBooks(courseId: string): Promise<CourseBook[]> {
    const rows = await new IngestionRepository(this.orm.em.fork()).ofCourse(courseId);
    return rows.map((r) => ({ bookId: r.bookId, status: r.status, pageCount: r.pageCount ?? null }));
  }

  async coursePassages(input: { courseId: string; bookIds?: string[] | undefined; pageStart?: number | undefined; pageEnd?: number | undefined }): Promise<{ passages: BookPassage[]; truncated: boolean }> {
    const passages = await new ChunkRepository(this.orm.em.fork()).inReadingOrder({ ...input, limit: COURSE_PASSAGES_MAX + 1 });
    return { passages: passages.slice(0, COURSE_PASSAGES_MAX), truncated: passages.length > COURSE_PASSAGES_MAX };
  }
}
