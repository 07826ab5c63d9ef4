const net = require("node:net");
let writes = 0, bytes = 0, reads = 0, rbytes = 0;
const w = net.Socket.prototype.write;
net.Socket.prototype.write = function (chunk, ...rest) { writes++; bytes += chunk.length ?? 0; return w.call(this, chunk, ...rest); };
const origEmit = net.Socket.prototype.emit;
net.Socket.prototype.emit = function (ev, data, ...rest) { if (ev === "data") { reads++; rbytes += data.length; } return origEmit.call(this, ev, data, ...rest); };
setInterval(() => { process.stderr.write(`[${process.pid}] writes ${writes} avgbytes ${(bytes / writes).toFixed(0)} reads ${reads} avg ${(rbytes / Math.max(1, reads)).toFixed(0)}\n`); writes = bytes = reads = rbytes = 0; }, 2000).unref();
