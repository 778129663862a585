// Preloaded with `node -r` (NODE_OPTIONS): samples every allocation of the process, those the
// garbage collector has already freed included, and writes the profile at exit to
// $ALLOC_DIR/alloc-<pid>.heapprofile. --heap-prof keeps only what is still live at exit, which
// cannot show where a transient peak comes from; bench/alloc-sites.mjs sums a profile by site.
const dir = process.env.ALLOC_DIR;
if (dir) {
  const inspector = require('node:inspector');
  const fs = require('node:fs');
  const path = require('node:path');
  const session = new inspector.Session();
  session.connect();
  session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  process.on('exit', () => {
    session.post('HeapProfiler.stopSampling', (err, res) => {
      if (!err) fs.writeFileSync(path.join(dir, `alloc-${process.pid}.heapprofile`), JSON.stringify(res.profile));
    });
  });
}
