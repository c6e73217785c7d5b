// Passages in Postgres: the atomic swap only for the file the book currently has, and the purge of
// a deleted book.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { ChunkRepository } from '../src/repositories/chunk.repository.ts';
import { IngestionRepository } from '../src/repositories/ingestion.repository.ts';
import { useRetrievalDatabase } from './database.ts';

const database = useRetrievalDatabase();
const orm = () => database.orm();

const scope = { courseId: randomUUID(), semesterId: randomUUID(), departmentId: randomUUID(), facultyId: randomUUID() };
const sha = (c: string) => c.repeat(64);
/** Marks READY without an event (events are tested in book-events.test.ts). */
const ready = { pageCount: 1, warning: null, event: () => null };
const passage = (index: number, text: string) => ({ id: randomUUID(), index, text, pageStart: index + 1, pageEnd: index + 1, section: '1.1 Atoms', wordCount: text.split(' ').length });

async function startIngestion(bookId: string, fileSha256: string) {
  await new IngestionRepository(orm().em.fork()).start({ bookId, courseId: scope.courseId, fileSha256, blobKey: `books/${bookId}/${fileSha256}.pdf`, fileName: 'f.pdf', fileSize: 1 });
}

describe('ChunkRepository', () => {
  it('swaps in the passages of the file the book has, and refuses an overtaken file', async () => {
    const book = randomUUID();
    const chunks = new ChunkRepository(orm().em.fork());
    await startIngestion(book, sha('a'));
    expect(await chunks.replaceBook(book, sha('a'), scope, [passage(0, 'electrons orbit the nucleus of an atom')], ready)).toBe(true);
    // A newer upload arrives while the job for file a is still running...
    await startIngestion(book, sha('b'));
    expect(await chunks.replaceBook(book, sha('a'), scope, [passage(0, 'stale text that must never be searchable')], ready)).toBe(false);
    expect((await chunks.fullText(scope.courseId, ['stale'], 10)).length).toBe(0);
    expect((await chunks.fullText(scope.courseId, ['electrons'], 10)).length).toBe(1);
    // ...and the newer file's job wins.
    expect(await chunks.replaceBook(book, sha('b'), scope, [passage(0, 'isotopes differ in neutrons'), passage(1, 'ions carry charge')], ready)).toBe(true);
    expect((await chunks.fullText(scope.courseId, ['electrons'], 10)).length).toBe(0);
    expect((await chunks.fullText(scope.courseId, ['isotopes', 'ions'], 10)).length).toBe(2);
  });

  it('a swap that fails half-way changes nothing: the old passages stay searchable', async () => {
    const book = randomUUID();
    const course = { ...scope, courseId: randomUUID() };
    const chunks = new ChunkRepository(orm().em.fork());
    await new IngestionRepository(orm().em.fork()).start({ bookId: book, courseId: course.courseId, fileSha256: sha('e'), blobKey: 'k', fileName: 'f.pdf', fileSize: 1 });
    expect(await chunks.replaceBook(book, sha('e'), course, [passage(0, 'mitochondria make energy')], ready)).toBe(true);
    // The delete of the old passages runs, then the insert fails (two passages with one id).
    const twin = passage(0, 'ribosomes make proteins');
    await expect(chunks.replaceBook(book, sha('e'), course, [twin, { ...twin, index: 1 }], ready)).rejects.toThrow();
    expect((await chunks.fullText(course.courseId, ['mitochondria'], 10)).length).toBe(1);
    expect((await chunks.fullText(course.courseId, ['ribosomes'], 10)).length).toBe(0);
  });

  it('ranks a passage with the rare query word above passages that share only a common one', async () => {
    const book = randomUUID();
    const course = { ...scope, courseId: randomUUID() };
    const chunks = new ChunkRepository(orm().em.fork());
    await new IngestionRepository(orm().em.fork()).start({ bookId: book, courseId: course.courseId, fileSha256: sha('c'), blobKey: 'k', fileName: 'f.pdf', fileSize: 1 });
    const common = Array.from({ length: 6 }, (_, i) => passage(i, `the output of this program is printed output number ${i}`));
    const rare = passage(6, 'the modulo operator gives the remainder of a division');
    expect(await chunks.replaceBook(book, sha('c'), course, [...common, rare], ready)).toBe(true);
    const hits = await chunks.fullText(course.courseId, ['what', 'output', 'modulo'], 10);
    expect(hits[0]!.id).toBe(rare.id);
    expect(hits).toHaveLength(7);
  });

  it('purges a deleted book: its ingestion and passages, not other books’', async () => {
    const [gone, kept] = [randomUUID(), randomUUID()];
    const chunks = new ChunkRepository(orm().em.fork());
    const course = { ...scope, courseId: randomUUID() };
    for (const b of [gone, kept]) {
      await new IngestionRepository(orm().em.fork()).start({ bookId: b, courseId: course.courseId, fileSha256: sha('d'), blobKey: 'k', fileName: 'f.pdf', fileSize: 1 });
      expect(await chunks.replaceBook(b, sha('d'), course, [passage(0, `covalent bonds in book ${b}`)], ready)).toBe(true);
    }
    expect(await chunks.purgeBook(gone)).toEqual({ passages: 1 });
    expect(await new IngestionRepository(orm().em.fork()).byBookId(gone)).toBeNull();
    const left = await chunks.byIds((await chunks.fullText(course.courseId, ['covalent'], 10)).map((h) => h.id), course.courseId);
    expect(left.map((c) => c.bookId)).toEqual([kept]);
    expect(await chunks.purgeBook(gone)).toEqual({ passages: 0 });
  });
});
