// inclusive time by function name substring list
import { readFileSync, readdirSync } from "node:fs";
const dir = process.argv[2];
const file = readdirSync(dir).filter(f=>f.endsWith(".cpuprofile")).map(f=>dir+"/"+f)[0];
const p = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(p.nodes.map(n=>[n.id,n])); const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const t = new Map(); for (let i=0;i<p.samples.length;i++) t.set(p.samples[i], (t.get(p.samples[i])??0)+(p.timeDeltas[i]??0));
let busy=0; const incl = new Map();
for (const [id, dt] of t) { const n = byId.get(id); if (["(idle)","(program)"].includes(n.callFrame.functionName)) continue; busy += dt; const seen = new Set(); let cur = id; while (cur !== undefined) { const cf = byId.get(cur).callFrame; const k = `${cf.functionName||"(anon)"} ${cf.url.split("/").slice(-2).join("/")}:${cf.lineNumber+1}`; if (!seen.has(k)) { seen.add(k); incl.set(k,(incl.get(k)??0)+dt); } cur = parent.get(cur); } }
for (const [k,v] of [...incl].sort((a,b)=>b[1]-a[1]).slice(0, Number(process.argv[3]??50))) console.log((100*v/busy).toFixed(1).padStart(5), k);
