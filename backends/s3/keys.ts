/** x-amz-copy-source: bucket/key with each segment percent-encoded, as S3 and its clones expect. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** Decodes a key from a listing made with encoding-type=url ('+' is a space there). */
export function decodeListedKey(key: string, urlEncoded: boolean): string {
  return urlEncoded ? decodeURIComponent(key.replace(/\+/g, ' ')) : key;
}

/**
 * Splits "bucket/key..." into bucket and key. An access point ARN stands where the bucket
 * does and contains a slash itself: arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME.
 */
export function splitBucket(path: string): { bucket: string; key: string } {
  const arn = /^(arn:[^/]*:accesspoint[/:][^/]+)(?:\/(.*))?$/.exec(path);
  if (arn) return { bucket: arn[1]!, key: arn[2] ?? '' };
  const i = path.indexOf('/');
  return i < 0 ? { bucket: path, key: '' } : { bucket: path.slice(0, i), key: path.slice(i + 1) };
}
