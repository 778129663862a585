// CPU to read one S3 listing page of 1,000 entries (the shape Ceph's RGW sends) with
// nclone's listing reader: node bench/listing-page.mjs [REPO]  (REPO: a built checkout,
// default this one; run it on two checkouts to compare).
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const repo = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
const { readListing } = await import(pathToFileURL(path.join(repo, 'dist/backends/s3/lean-xml.js')).href);
let page = '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>d0001/</Prefix><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated>';
for (let i = 0; i < 1000; i++) {
  page += `<Contents><Key>d0001/f${String(i).padStart(7, '0')}</Key><LastModified>2026-12-02T11:38:00.123Z</LastModified><ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass><Owner><ID>test</ID><DisplayName>T</DisplayName></Owner><Type>Normal</Type></Contents>`;
}
page += '</ListBucketResult>';
if (readListing(page) === undefined) throw new Error('the reader gave the page up: not measuring the fast path');
for (let i = 0; i < 50; i++) readListing(page);
const rounds = 300;
const start = process.cpuUsage();
for (let i = 0; i < rounds; i++) readListing(page);
const used = process.cpuUsage(start);
console.log(`${repo}: ${((used.user + used.system) / rounds / 1000).toFixed(2)} ms of CPU per 1,000-entry page`);
