/**
 * What differs between S3 implementations, as data (rclone keeps the same in
 * backend/s3/provider/*.yaml). The backend reads these instead of branching on names.
 */
export interface ProviderQuirks {
  /** Describes the provider in the wizard and docs. */
  description: string;
  /** Virtual-hosted style (bucket.host) instead of path style (host/bucket) unless force_path_style is set. */
  virtualHostStyle: boolean;
  /** ListObjectsV2 is supported (list_version 0 means "use this"). */
  listObjectsV2: boolean;
  /** Listings may be URL-encoded (encoding-type=url) so control characters survive XML. */
  urlEncodeListings: boolean;
  /** The SDK's default CRC checksums (aws-chunked trailers) work; most clones reject them. */
  sdkChecksums: boolean;
  /** The ETag of a multipart upload is "md5-of-md5s-N", so only single-part ETags are MD5s. */
  multipartEtag: boolean;
  /**
   * Content-MD5 on PutObject and UploadPart is checked by the server (a body damaged on the
   * way is refused with BadDigest). Every provider listed does; a clone that refuses the
   * header gets false here.
   */
  contentMd5: boolean;
  /** Region used when none is configured. */
  defaultRegion: string;
}

const clone = (description: string, over: Partial<ProviderQuirks> = {}): ProviderQuirks => ({
  description,
  virtualHostStyle: false,
  listObjectsV2: true,
  urlEncodeListings: true,
  sdkChecksums: false,
  multipartEtag: true,
  contentMd5: true,
  defaultRegion: 'us-east-1',
  ...over,
});

export const PROVIDERS: Record<string, ProviderQuirks> = {
  AWS: clone('Amazon Web Services (AWS) S3', { virtualHostStyle: true, sdkChecksums: true }),
  Ceph: clone('Ceph Object Storage (RADOS Gateway)', { listObjectsV2: false, urlEncodeListings: false }),
  Minio: clone('MinIO Object Storage'),
  Wasabi: clone('Wasabi Object Storage', { virtualHostStyle: true }),
  DigitalOcean: clone('DigitalOcean Spaces', { virtualHostStyle: true, urlEncodeListings: false }),
  Cloudflare: clone('Cloudflare R2 Storage', { listObjectsV2: true, urlEncodeListings: false, defaultRegion: 'auto' }),
  B2: clone('Backblaze B2 (S3-compatible API)', { virtualHostStyle: true }),
  Scaleway: clone('Scaleway Object Storage', { virtualHostStyle: true }),
  Linode: clone('Linode Object Storage', { virtualHostStyle: true }),
  GCS: clone('Google Cloud Storage (S3-compatible API)', { virtualHostStyle: true, listObjectsV2: false, urlEncodeListings: false }),
  Other: clone('Any other S3 compatible provider', { listObjectsV2: false, urlEncodeListings: false }),
};

export function quirksFor(provider: string): ProviderQuirks {
  return PROVIDERS[provider] ?? PROVIDERS.Other!;
}

/** Endpoint host patterns and the provider (and region, from the host) each implies. */
const HOSTS: { pattern: RegExp; provider: string; region?: (m: RegExpExecArray) => string | undefined }[] = [
  { pattern: /(?:^|\.)s3[.-](?:dualstack\.)?([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com(?:\.cn)?$/, provider: 'AWS', region: (m) => m[1] },
  { pattern: /(?:^|\.)amazonaws\.com(?:\.cn)?$/, provider: 'AWS' },
  { pattern: /^(?:s3\.)?([a-z0-9-]+)\.digitaloceanspaces\.com$/, provider: 'DigitalOcean', region: (m) => m[1] },
  { pattern: /^s3\.([a-z0-9-]+)\.wasabisys\.com$/, provider: 'Wasabi', region: (m) => m[1] },
  { pattern: /(?:^|\.)wasabisys\.com$/, provider: 'Wasabi' },
  { pattern: /^s3\.([a-z0-9-]+)\.backblazeb2\.com$/, provider: 'B2', region: (m) => m[1] },
  { pattern: /(?:^|\.)backblazeb2\.com$/, provider: 'B2' },
  { pattern: /^([a-z0-9-]+)\.linodeobjects\.com$/, provider: 'Linode', region: (m) => m[1] },
  { pattern: /^s3\.([a-z0-9-]+)\.scw\.cloud$/, provider: 'Scaleway', region: (m) => m[1] },
  { pattern: /(?:^|\.)r2\.cloudflarestorage\.com$/, provider: 'Cloudflare', region: () => 'auto' },
  { pattern: /(?:^|\.)storage\.googleapis\.com$/, provider: 'GCS' },
];

/** The provider an endpoint belongs to, from its host name; undefined for unknown hosts (provider Other). */
export function detectProvider(endpointOrHost: string): { provider: string; region?: string } | undefined {
  const host = endpointOrHost.replace(/^[a-z]+:\/\//i, '').replace(/[/:].*$/, '').toLowerCase();
  for (const h of HOSTS) {
    const m = h.pattern.exec(host);
    if (m) return { provider: h.provider, region: h.region?.(m) };
  }
  return undefined;
}
