import type { Readable } from 'node:stream';
import { BadUserInputError } from './errors.ts';

/** What graphql-upload resolves an `Upload` variable to. */
export interface FileUpload {
  filename: string;
  mimetype: string;
  encoding: string;
  createReadStream(): Readable;
}

/**
 * Reads an uploaded file into memory, refusing more than `maxBytes` with BAD_USER_INPUT on `field`
 * (the stream is cut as soon as the limit is passed, so an oversized upload costs no more).
 */
export async function readUpload(upload: Promise<FileUpload> | FileUpload, maxBytes: number, field = 'file'): Promise<{ filename: string; mimetype: string; data: Buffer }> {
  let file: FileUpload;
  try {
    file = await upload;
  } catch (err) {
    throw new BadUserInputError(`${field}: ${(err as Error).message}`, field);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of file.createReadStream()) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) throw new BadUserInputError(`${field}: larger than the ${Math.round(maxBytes / 1024 / 1024)} MB limit`, field);
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof BadUserInputError) throw err;
    const status = (err as { status?: number }).status;
    if (status === 413) throw new BadUserInputError(`${field}: larger than the ${Math.round(maxBytes / 1024 / 1024)} MB limit`, field);
    throw new BadUserInputError(`${field}: the upload did not complete (${(err as Error).message})`, field);
  }
  return { filename: file.filename, mimetype: file.mimetype, data: Buffer.concat(chunks) };
}
