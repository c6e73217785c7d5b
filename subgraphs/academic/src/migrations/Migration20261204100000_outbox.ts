import { outboxTableSql } from '@ai-teacher/shared';
import { Migration } from '@mikro-orm/migrations';

/** Academic's events (ENROLLED) for the notification subgraph, written with the change they announce. */
export class Migration20261204100000_outbox extends Migration {
  override up(): void {
    for (const sql of outboxTableSql('academic')) this.addSql(sql);
  }

  override down(): void {
    this.addSql(`drop table if exists "academic"."outbox";`);
  }
}
