// `wactor/sdk`: the AssemblyScript guest SDK for actors outside this repository
// (`import { register } from "wactor/sdk"`). AssemblyScript resolves a package path to this
// file; the sources live in actors/sdk, next to the example actors that use them.
export * from "../actors/sdk/index";
