import { Migration } from '@mikro-orm/migrations';

export class Migration20261127020000_init extends Migration {
  override up(): void {
    this.addSql(`create table "retrieval"."ingestions" (
      "book_id" uuid primary key,
      "course_id" uuid not null,
      "status" text not null check ("status" in ('PENDING', 'PROCESSING', 'READY', 'FAILED')),
      "progress" real not null default 0,
      "page_count" int null,
      "chunk_count" int null,
      "error" text null,
      "file_sha256" char(64) not null,
      "blob_key" text not null,
      "file_name" text not null,
      "file_size" bigint not null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null);`);
    // Passages of the file a book currently has; replaced in one transaction per ingestion.
    this.addSql(`create table "retrieval"."chunks" (
      "id" uuid primary key,
      "book_id" uuid not null,
      "generation" char(64) not null,
      "course_id" uuid not null,
      "semester_id" uuid not null,
      "department_id" uuid not null,
      "faculty_id" uuid not null,
      "chunk_index" int not null,
      "page_start" int not null,
      "page_end" int not null,
      "section" text null,
      "text" text not null,
      "tsv" tsvector not null);`);
    this.addSql(`create index "chunks_course_id_index" on "retrieval"."chunks" ("course_id");`);
    this.addSql(`create index "chunks_book_id_index" on "retrieval"."chunks" ("book_id", "generation");`);
    this.addSql(`create index "chunks_tsv_index" on "retrieval"."chunks" using gin ("tsv");`);
    // The postgres vector store (the default): exact cosine over the course's vectors.
    this.addSql(`create table "retrieval"."chunk_vectors" (
      "chunk_id" uuid primary key,
      "book_id" uuid not null,
      "generation" char(64) not null,
      "course_id" uuid not null,
      "embedding" real[] not null);`);
    this.addSql(`create index "chunk_vectors_course_id_index" on "retrieval"."chunk_vectors" ("course_id");`);
    this.addSql(`create index "chunk_vectors_book_id_index" on "retrieval"."chunk_vectors" ("book_id", "generation");`);
  }

  override down(): void {
    for (const t of ['chunk_vectors', 'chunks', 'ingestions']) this.addSql(`drop table if exists "retrieval"."${t}";`);
  }
}
