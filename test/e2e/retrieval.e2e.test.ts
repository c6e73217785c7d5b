// Retrieval through the router: a teacher uploads the real Python textbook, it is ingested by the
// worker, and students of that course (and nobody else) find its pages. Then every malformed file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@ai-teacher/shared';
import { errorCode } from '@ai-teacher/shared/testing';
import { INGESTION, uploadBook, userWithRole as newUserWithRole, waitForIngestion as waitIngested } from '../support/course.ts';
import { ADMIN, login, startStack, type Session, type Stack } from '../support/stack.ts';

const data = join(repoRoot, '..', 'shared', 'data');
let stack: Stack;
let admin: Session;
let teacher: { id: string; token: string };
let student: { id: string; token: string };
let outsider: { id: string; token: string };
let course: string;
let otherCourse: string;
let book: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function asAdmin(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await stack.query(query, variables, admin.accessToken);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data;
}

const upload = (bookId: string, bytes: Buffer, filename: string, token?: string) => uploadBook(stack, bookId, bytes, filename, token);
const waitForIngestion = (courseId: string, bookId: string, timeoutMs?: number) => waitIngested(stack, admin.accessToken, courseId, bookId, timeoutMs);
const userWithRole = (role: 'STUDENT' | 'TEACHER') => newUserWithRole(stack, admin, role);

async function newBook(courseId: string, title: string): Promise<string> {
  return (await asAdmin(`mutation($c: ID!, $t: String!) { createBook(courseId: $c, title: $t, authors: ["OpenStax"]) { id } }`, { c: courseId, t: title })).createBook.id;
}

const UPLOAD_LIMIT = 8 * 1024 * 1024;

beforeAll(async () => {
  stack = await startStack({ env: { UPLOAD_MAX_BYTES: String(UPLOAD_LIMIT) } });
  admin = (await login(stack, ADMIN.email, ADMIN.password)).data!.login;
  teacher = await userWithRole('TEACHER');
  student = await userWithRole('STUDENT');
  outsider = await userWithRole('STUDENT');
  const report = await asAdmin(`mutation($d: String!) { importAcademicData(format: JSON, document: $d) { applied } }`, {
    d: JSON.stringify({ faculties: [{ name: 'Science', departments: [{ name: 'CS', semesters: [{ name: 'Fall', courses: [{ code: 'PY1', title: 'Python' }, { code: 'BIO1', title: 'Biology' }] }] }] }] }),
  });
  expect(report.importAcademicData.applied).toBe(true);
  const tree = await asAdmin(`{ faculties { departments { semesters { courses { id code } } } } }`);
  const courses = tree.faculties[0].departments[0].semesters[0].courses as { id: string; code: string }[];
  course = courses.find((c) => c.code === 'PY1')!.id;
  otherCourse = courses.find((c) => c.code === 'BIO1')!.id;
  await asAdmin(`mutation($c: ID!, $u: ID!) { assignTeacher(courseId: $c, userId: $u) { id } }`, { c: course, u: teacher.id });
  await asAdmin(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: course, u: student.id });
  await asAdmin(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: otherCourse, u: outsider.id });
  book = await newBook(course, 'Introduction to Python Programming');
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const SEARCH = `query($c: ID!, $q: String!, $l: Int) { searchCourseMaterial(courseId: $c, query: $q, limit: $l) { text score pageStart pageEnd section book { id title } } }`;

describe('the Python textbook', () => {
  it('the course teacher uploads it through the router; the worker makes it READY', async () => {
    const pdf = readFileSync(join(data, 'textbooks', 'intro-python-programming.pdf'));
    const res = await upload(book, pdf, 'intro-python-programming.pdf', teacher.token);
    expect(res.errors).toBeUndefined();
    expect(res.data.uploadBookFile).toMatchObject({ status: 'PENDING', fileName: 'intro-python-programming.pdf', fileSize: pdf.length });
    const done = await waitForIngestion(course, book);
    expect(done).toMatchObject({ status: 'READY', progress: 1, pageCount: 200, error: null });
    expect(done.chunkCount).toBeGreaterThan(150);
  }, 120_000);

  it('the same file again is the same ingestion, not a new job', async () => {
    const pdf = readFileSync(join(data, 'textbooks', 'intro-python-programming.pdf'));
    const again = await upload(book, pdf, 'copy.pdf', teacher.token);
    expect(again.data.uploadBookFile).toMatchObject({ status: 'READY', fileName: 'intro-python-programming.pdf' });
  });

  it('an enrolled student finds the right pages, with book, section and page span', async () => {
    const res = await stack.query(SEARCH, { c: course, q: 'How does a while loop repeat code until a condition is false?', l: 5 }, student.token);
    expect(res.errors).toBeUndefined();
    const passages = res.data!.searchCourseMaterial;
    expect(passages).toHaveLength(5);
    expect(passages[0].book).toEqual({ id: book, title: 'Introduction to Python Programming' });
    // Chapter 5 "Loops" is on pages 72–88 of this book.
    expect(passages.some((p: { pageStart: number; pageEnd: number }) => p.pageStart >= 70 && p.pageEnd <= 90)).toBe(true);
    for (const p of passages) {
      expect(p.pageEnd - p.pageStart).toBeLessThan(3);
      expect(p.text.split(/\s+/).length).toBeLessThanOrEqual(600);
    }
    expect(passages.map((p: { score: number }) => p.score)).toEqual([...passages.map((p: { score: number }) => p.score)].sort((a, b) => b - a));
  });

  it('nobody outside the course reads it: another course’s student, anonymous, wrong course', async () => {
    expect(errorCode(await stack.query(SEARCH, { c: course, q: 'while loop' }, outsider.token))).toBe('FORBIDDEN');
    expect(errorCode(await stack.query(SEARCH, { c: course, q: 'while loop' }))).toBe('UNAUTHENTICATED');
    // The other course has no Python book: its search never returns this course's passages.
    const other = await stack.query(SEARCH, { c: otherCourse, q: 'while loop' }, outsider.token);
    expect(other.data!.searchCourseMaterial).toEqual([]);
  });

  it('rejects bad search input', async () => {
    const cases: [Record<string, unknown>, string, string | undefined][] = [
      [{ c: 'nope', q: 'x' }, 'BAD_USER_INPUT', 'courseId'],
      [{ c: course, q: '   ' }, 'BAD_USER_INPUT', 'query'],
      [{ c: course, q: 'x', l: 500 }, 'BAD_USER_INPUT', 'limit'],
      [{ c: '00000000-0000-4000-8000-000000000000', q: 'x' }, 'NOT_FOUND', undefined],
    ];
    for (const [vars, code, field] of cases) {
      const res = await stack.query(SEARCH, vars, student.token);
      expect([errorCode(res), res.errors?.[0]?.extensions?.field]).toEqual([code, field]);
    }
  });

  it('only ADMIN and the course teacher may upload', async () => {
    const pdf = readFileSync(join(data, 'bad-inputs', 'garbage-xref.pdf'));
    expect(errorCode(await upload(book, pdf, 'x.pdf', student.token))).toBe('FORBIDDEN');
    expect(errorCode(await upload(book, pdf, 'x.pdf'))).toBe('UNAUTHENTICATED');
    const other = await userWithRole('TEACHER');
    expect(errorCode(await upload(book, pdf, 'x.pdf', other.token))).toBe('FORBIDDEN');
    expect(errorCode(await upload('00000000-0000-4000-8000-000000000000', pdf, 'x.pdf', admin.accessToken))).toBe('NOT_FOUND');
  });
});

describe('malformed files (../shared/data/bad-inputs)', () => {
  it('a file over the size limit is refused at upload, nothing stored', async () => {
    const b = await newBook(otherCourse, 'Too big');
    const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(UPLOAD_LIMIT + 1024, 0x20)]);
    const res = await upload(b, big, 'big.pdf', admin.accessToken);
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.extensions!.field).toBe('file');
    expect(res.errors![0]!.message).toMatch(/larger than|too large|at most/i);
    const status = await stack.query(INGESTION, { c: otherCourse }, admin.accessToken);
    expect(status.data!.course.books.find((x: { id: string }) => x.id === b).ingestion).toBeNull();
  });

  it.each([
    ['empty.pdf', 'file: empty file'],
    ['not-a-pdf.pdf', 'file: not a PDF'],
  ])('%s is refused at upload with BAD_USER_INPUT', async (file, message) => {
    const b = await newBook(otherCourse, `Bad ${file}`);
    const res = await upload(b, readFileSync(join(data, 'bad-inputs', file)), file, admin.accessToken);
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.extensions!.field).toBe('file');
    expect(res.errors![0]!.message).toContain(message);
    const status = await stack.query(INGESTION, { c: otherCourse }, admin.accessToken);
    expect(status.data!.course.books.find((x: { id: string }) => x.id === b).ingestion).toBeNull();
  });

  it.each([
    ['truncated.pdf', 'FAILED', /truncated or damaged PDF/],
    ['encrypted.pdf', 'FAILED', /password-protected PDF is not supported/],
    ['image-only.pdf', 'FAILED', /no extractable text \(scanned\/image-only PDF; OCR not supported\)/],
    ['huge-page-count.pdf', 'FAILED', /too many pages \(3000 > 2000\)/],
    ['garbage-xref.pdf', 'READY', null],
  ])('%s ends %s with a specific reason, never stuck or half-written', async (file, status, reason) => {
    const b = await newBook(otherCourse, `Bad ${file}`);
    const res = await upload(b, readFileSync(join(data, 'bad-inputs', file)), file, admin.accessToken);
    expect(res.errors).toBeUndefined();
    const done = await waitForIngestion(otherCourse, b, 60_000);
    expect(done.status).toBe(status);
    if (reason) {
      expect(done.error).toMatch(reason);
      expect(done.chunkCount).toBeNull();
    } else {
      expect(done).toMatchObject({ pageCount: 4, error: null });
      expect(done.chunkCount).toBeGreaterThan(0);
    }
  }, 90_000);

  it('failed books left no passages behind, and the worker still serves the next job', async () => {
    const res = await stack.query(SEARCH, { c: otherCourse, q: 'isotopes neutrons electrons' }, outsider.token);
    const titles = new Set(res.data!.searchCourseMaterial.map((p: { book: { title: string } }) => p.book.title));
    expect([...titles]).toEqual(['Bad garbage-xref.pdf']);
    expect((await fetch(`${stack.workers.url}/ready`)).status).toBe(200);
  });
});

describe('a new file for a book', () => {
  it('replaces all of the old passages; searches find only the new file', async () => {
    const b = await newBook(otherCourse, 'Replaced');
    const q = { c: otherCourse, q: 'covalent bonds between atoms share electrons', l: 20 };
    const pagesOf = async () => {
      const res = await stack.query(SEARCH, q, outsider.token);
      return res.data!.searchCourseMaterial.filter((p: { book: { id: string } }) => p.book.id === b);
    };
    expect((await upload(b, readFileSync(join(data, 'textbooks', 'biology-2e-excerpt.pdf')), 'biology.pdf', admin.accessToken)).errors).toBeUndefined();
    const first = await waitForIngestion(otherCourse, b);
    expect(first).toMatchObject({ status: 'READY', pageCount: 59 });
    expect((await pagesOf()).some((p: { pageStart: number }) => p.pageStart > 4)).toBe(true);

    expect((await upload(b, readFileSync(join(data, 'bad-inputs', 'garbage-xref.pdf')), 'four-pages.pdf', admin.accessToken)).data.uploadBookFile.status).toBe('PENDING');
    const second = await waitForIngestion(otherCourse, b);
    expect(second).toMatchObject({ status: 'READY', pageCount: 4 });
    expect(second.chunkCount).toBeLessThan(first.chunkCount);
    const after = await pagesOf();
    expect(after.length).toBeGreaterThan(0);
    // Every passage of the book now comes from the 4-page file, and only that file is kept.
    for (const p of after) expect(p.pageEnd).toBeLessThanOrEqual(4);
    expect(readdirSync(join(stack.env.DATA_DIR!, 'blobs', 'books', b))).toHaveLength(1);
  }, 120_000);
});

describe('deleting a book', () => {
  const DELETE = `mutation($id: ID!) { deleteBook(id: $id) }`;

  it('removes its passages from searches, its files from the store, and nothing else', async () => {
    const b = await newBook(course, 'Chemistry handout');
    expect((await upload(b, readFileSync(join(data, 'bad-inputs', 'garbage-xref.pdf')), 'handout.pdf', teacher.token)).errors).toBeUndefined();
    expect(await waitForIngestion(course, b)).toMatchObject({ status: 'READY' });
    const q = { c: course, q: 'covalent bonds between atoms share electrons', l: 20 };
    const booksFound = async () => new Set((await stack.query(SEARCH, q, student.token)).data!.searchCourseMaterial.map((p: { book: { id: string } }) => p.book.id));
    expect(await booksFound()).toContain(b);
    const files = join(stack.env.DATA_DIR!, 'blobs', 'books', b);
    expect(readdirSync(files)).toHaveLength(1);

    expect(errorCode(await stack.query(DELETE, { id: b }, student.token))).toBe('FORBIDDEN');
    expect(errorCode(await stack.query(DELETE, { id: 'nope' }, teacher.token))).toBe('BAD_USER_INPUT');
    const res = await stack.query(DELETE, { id: b }, teacher.token);
    expect(res.errors).toBeUndefined();
    expect(res.data!.deleteBook).toBe(b);
    expect(errorCode(await stack.query(DELETE, { id: b }, teacher.token))).toBe('NOT_FOUND');

    const deadline = Date.now() + 15_000;
    while ((await booksFound()).has(b) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await booksFound()).not.toContain(b);
    while (existsSync(files) && readdirSync(files).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(files) ? readdirSync(files) : []).toEqual([]);
    // The course's other book is untouched.
    const python = await stack.query(SEARCH, { c: course, q: 'How does a while loop repeat code?' }, student.token);
    expect(python.data!.searchCourseMaterial[0].book.id).toBe(book);
    const listed = await stack.query(INGESTION, { c: course }, admin.accessToken);
    expect(listed.data!.course.books.map((x: { id: string }) => x.id)).toEqual([book]);
  }, 60_000);
});
