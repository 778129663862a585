/** x-amz-copy-source: bucket/key with each segment percent-encoded, as S3 and its clones expect. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** Decodes a key from a listing made with encoding-type=url ('+' is a space there). */
export function decodeListedKey(key: string, urlEncoded: boolean): string {
  return urlEncoded ? decodeURIComponent(key.replace(/\+/g, ' ')) : key;
}
