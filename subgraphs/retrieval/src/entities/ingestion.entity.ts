import { defineEntity, p } from '@mikro-orm/postgresql';

export const INGESTION_STATUSES = ['PENDING', 'PROCESSING', 'READY', 'FAILED'] as const;

export const IngestionSchema = defineEntity({
  name: 'Ingestion',
  tableName: 'ingestions',
  properties: {
    bookId: p.uuid().primary(),
    courseId: p.uuid(),
    status: p.enum(INGESTION_STATUSES),
    progress: p.float(),
    pageCount: p.integer().nullable(),
    chunkCount: p.integer().nullable(),
    error: p.text().nullable(),
    fileSha256: p.string().length(64),
    blobKey: p.text(),
    fileName: p.text(),
    fileSize: p.bigint('number'),
    /** Who uploaded the file (told when it is READY or FAILED); null for files uploaded before it was recorded. */
    uploadedBy: p.uuid().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class Ingestion extends IngestionSchema.class {}
IngestionSchema.setClass(Ingestion);
