/**
 * Whether a process with this pid exists on this host. EPERM means it exists but belongs
 * to someone else. (A pid can be reused: callers that act on a "dead" answer also check age.)
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
