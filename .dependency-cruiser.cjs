/**
 * The layer order of wactor, enforced (npm run lint:deps, run by pretest). A part may import
 * only parts on its own layer or below; no cycle anywhere. Lower first:
 *   errors, version             the error catalog and the version string
 *   codec, claims, directive,   wire formats, signed claims, the Directive model, NATS
 *   nats                        connection options
 *   tracing                     spans and their names
 *   runtime, provider           wasm instances (metering, suspension, pools); the narrow
 *                               contract a capability provider implements
 *   capabilities                the built-in providers: they know the contract, never the host
 *   host                        actors, bindings, policy; composes providers (it carries the
 *                               extras provider itself, as waSCC's host does)
 *   bundle, oci                 artifacts: Atmo bundles, OCI registries
 *   lattice                     many hosts over NATS
 *   deploy                      manifests, applications, reconciliation
 *   ui, scaffold, cli, mod.ts   faces
 */
const LAYERS = [
  ["^src/(errors|errors-doc|version|http-client-error)\\.ts$"],
  ["^src/codec/", "^src/claims/", "^src/directive/", "^src/nats/"],
  ["^src/tracing/"],
  ["^src/runtime/", "^src/provider/"],
  ["^capabilities/"],
  ["^src/host/"],
  ["^src/bundle/", "^src/oci/"],
  ["^src/lattice/"],
  ["^src/deploy/"],
  ["^src/ui/", "^src/scaffold/", "^src/cli/", "^src/mod\\.ts$"],
];

const above = (i) => LAYERS.slice(i + 1).flat();
const layerRules = LAYERS.slice(0, -1).map((paths, i) => ({
  name: `layer-${i}-imports-upward`,
  comment: `${paths.join(", ")} may not import a higher layer`,
  severity: "error",
  from: { path: paths },
  to: { path: above(i) },
}));

// Inside the lattice, the same rule over its parts (lower first); lattice-host.ts and mod.ts,
// at the folder's top, compose them.
const LATTICE = ["wire", "trust", "state", "sessions", "rpc", "control"].map((part) => `^src/lattice/${part}/`);
const latticeRules = LATTICE.slice(0, -1).map((path, i) => ({
  name: `lattice-${path.split("/")[2]}-imports-upward`,
  comment: `${path} may not import a later lattice part or the lattice's top`,
  severity: "error",
  from: { path },
  to: { path: [...LATTICE.slice(i + 1), "^src/lattice/[^/]+\\.ts$"] },
}));

module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", comment: "a cycle makes parts impossible to read or test alone", from: {}, to: { circular: true } },
    ...layerRules,
    ...latticeRules,
    // The runtime's isolation modes stand apart (an executor thread runs metered instances);
    // what they share sits at the runtime's top, where only actor-pool.ts picks among them.
    { name: "runtime-thread-apart", severity: "error", from: { path: "^src/runtime/thread/" }, to: { path: "^src/runtime/(metered|executor)/" } },
    { name: "runtime-metered-apart", severity: "error", from: { path: "^src/runtime/metered/" }, to: { path: "^src/runtime/(thread|executor)/" } },
    { name: "runtime-executor-apart", severity: "error", from: { path: "^src/runtime/executor/" }, to: { path: "^src/runtime/thread/" } },
    {
      name: "runtime-shared-below-modes",
      severity: "error",
      from: { path: "^src/runtime/[^/]+\\.ts$", pathNot: "^src/runtime/actor-pool\\.ts$" },
      to: { path: "^src/runtime/(metered|executor|thread)/" },
    },
    {
      name: "lattice-parts-below-top",
      severity: "error",
      comment: "a lattice part may not import the composition root",
      from: { path: "^src/lattice/[^/]+/" },
      to: { path: "^src/lattice/[^/]+\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "(^|/)(dist|node_modules)/" },
  },
};
