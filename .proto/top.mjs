import { readFileSync, readdirSync } from "node:fs";
const dir = process.argv[2];
const file = readdirSync(dir).filter(f=>f.endsWith(".cpuprofile")).map(f=>dir+"/"+f)[0];
const p = JSON.parse(readFileSync(file, "utf8"));
const self = new Map(); const byId = new Map(p.nodes.map(n=>[n.id,n]));
const dt = p.timeDeltas; const counts = new Map();
for (let i=0;i<p.samples.length;i++) counts.set(p.samples[i], (counts.get(p.samples[i])??0)+(dt[i]??0));
let total=0;
for (const [id,t] of counts) { const n=byId.get(id); const cf=n.callFrame; const k=`${cf.functionName||"(anon)"} ${cf.url.split("/").slice(-2).join("/")}:${cf.lineNumber+1}`; self.set(k,(self.get(k)??0)+t); total+=t; }
const rows=[...self].sort((a,b)=>b[1]-a[1]).slice(0, Number(process.argv[3]??40));
for (const [k,t] of rows) console.log((100*t/total).toFixed(1).padStart(5), k);
