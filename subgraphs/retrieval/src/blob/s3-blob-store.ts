import { ConfigError } from '@ai-teacher/shared';
import type * as S3 from '@aws-sdk/client-s3';
import type { RetrievalConfig } from '../config.ts';
import type { BlobStore } from './blob-store.ts';

/**
 * Any S3-compatible object store (AWS S3, MinIO, Ceph, R2). The AWS SDK is loaded only when this
 * store is configured.
 */
export class S3BlobStore implements BlobStore {
  private readonly bucket: string;
  private readonly client: Promise<{ s3: S3.S3Client; mod: typeof S3 }>;

  constructor(config: RetrievalConfig) {
    const missing = (['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const).filter((k) => !config[k]);
    if (missing.length) throw new ConfigError(missing.map((k) => `${k}: required when BLOB_STORE=s3`));
    this.bucket = config.S3_BUCKET!;
    this.client = import('@aws-sdk/client-s3').then((mod) => {
      const c = new mod.S3Client({
        region: config.S3_REGION,
        ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
        forcePathStyle: config.S3_FORCE_PATH_STYLE,
        credentials: { accessKeyId: config.S3_ACCESS_KEY_ID!, secretAccessKey: config.S3_SECRET_ACCESS_KEY! },
      });
      return { s3: c, mod };
    });
  }

  async put(key: string, data: Buffer, contentType: string): Promise<void> {
    const { s3, mod } = await this.client;
    await s3.send(new mod.PutObjectCommand({ Bucket: this.bucket, Key: key, Body: data, ContentType: contentType }));
  }

  async get(key: string): Promise<Buffer> {
    const { s3, mod } = await this.client;
    const res = await s3.send(new mod.GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!res.Body) throw new Error(`blob ${key} has no body`);
    return Buffer.from(await res.Body.transformToByteArray());
  }

  async delete(key: string): Promise<void> {
    const { s3, mod } = await this.client;
    await s3.send(new mod.DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async list(prefix: string): Promise<string[]> {
    const { s3, mod } = await this.client;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new mod.ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }
}
