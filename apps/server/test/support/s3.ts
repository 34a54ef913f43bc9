import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { TEST_S3 } from './services.js';

/** Test buckets of the Ceph RGW the suites run against: each test file makes and drops its own. */
export const newBucket = () => `glimpse-t-${process.pid}-${randomBytes(4).toString('hex')}`;

/** Removes everything in a test bucket, unfinished multipart uploads included, then the bucket. */
export async function dropBucket(bucket: string): Promise<void> {
  await withAdmin(async (admin) => {
    let token: string | undefined;
    do {
      const page = await admin.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      const objects = (page.Contents ?? []).map(({ Key }) => ({ Key }));
      if (objects.length > 0) {
        await admin.send(
          new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
        );
      }
      token = page.NextContinuationToken;
    } while (token);
    const pending = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const { Key, UploadId } of pending.Uploads ?? []) {
      await admin.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId }));
    }
    await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
  });
}

/** A plain SDK client, to look at the bucket without going through the adapter under test. */
export async function withAdmin<T>(work: (admin: S3Client) => Promise<T>): Promise<T> {
  const admin = new S3Client({ ...TEST_S3, requestChecksumCalculation: 'WHEN_REQUIRED' });
  try {
    return await work(admin);
  } finally {
    admin.destroy();
  }
}
