import { Registry } from '../src/fs/registry.js';
import { localBackend } from './local/index.js';
import { s3Backend } from './s3/index.js';
import { sftpBackend } from './sftp/index.js';

/** Every backend nclone has, listed explicitly; implementations load on first use. */
export function defaultRegistry(): Registry {
  return new Registry([localBackend, s3Backend, sftpBackend]);
}
