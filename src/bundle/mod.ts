/** Atmo-style `.wasm.zip` bundles with wactor's seal (docs/directive.md, "Bundles"). */
export { readBundle, bundleFromEntries, bindModules, runnableForModule, DIRECTIVE_ENTRY, DESCRIPTOR_ENTRY, type Bundle, type BundleModule } from "./read.js";
export { loadBundle, loadBundleFile, type LoadBundleOptions, type LoadedBundle } from "./load.js";
export { signBundle, type BundleSignOptions, type SignedBundle } from "./sign.js";
export { verifySeal, createDescriptor, entryDigests, type BundleSeal, type SealVerdict } from "./seal.js";
export { StaticFiles, normalizeStaticName } from "./static-files.js";
export { writeBundleEntries } from "./write.js";
export { readZip, writeZip } from "./zip.js";
