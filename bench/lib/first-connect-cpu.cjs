// Preload (NODE_OPTIONS="-r bench/lib/first-connect-cpu.cjs"): writes to stderr, at exit, the
// process's CPU time (every thread's, from process.cpuUsage) when it first connected a socket,
// which is when an S3 command's first request leaves, and in all.
'use strict';
const net = require('node:net');
const connect = net.Socket.prototype.connect;
const ms = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let first;
net.Socket.prototype.connect = function (...args) {
  first ??= ms();
  return connect.apply(this, args);
};
process.on('exit', () => process.stderr.write(`first-connect-cpu-ms ${first === undefined ? '-' : first.toFixed(1)} total-cpu-ms ${ms().toFixed(1)}\n`));
