// wactor's AssemblyScript library for Reactr Runnables (the functions of Atmo bundles).
// A runnable registers one function and re-exports the entry points the host calls:
//   export { allocate, deallocate, run_e } from "../../runnable-sdk";
// and is built with `--use abort=actors/runnable-sdk/runnable/runnableAbort` (README.md).
export { allocate, deallocate, run_e, register, returnResult, returnError, ffiResult, currentIdent, Result, Runnable, runnableAbort } from "./runnable";
export { Request, FieldType, respSetHeader } from "./request";
export { Cache, Http, Method, GraphQL, Log, StaticFile, Db, QueryType } from "./services";
export { jsonString, jsonStringField } from "./json";
