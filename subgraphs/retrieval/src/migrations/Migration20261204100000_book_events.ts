import { outboxTableSql } from '@ai-teacher/shared';
import { Migration } from '@mikro-orm/migrations';

/**
 * Book events (BOOK_READY, BOOK_FAILED) for the notification subgraph: the outbox they are written
 * to with the status change, and who uploaded the file (they are told). Files uploaded before this
 * have no uploader; their events go to the course's teachers only.
 */
export class Migration20261204100000_book_events extends Migration {
  override up(): void {
    this.addSql(`alter table "retrieval"."ingestions" add column "uploaded_by" uuid null;`);
    for (const sql of outboxTableSql('retrieval')) this.addSql(sql);
  }

  override down(): void {
    this.addSql(`drop table if exists "retrieval"."outbox";`);
    this.addSql(`alter table "retrieval"."ingestions" drop column if exists "uploaded_by";`);
  }
}
