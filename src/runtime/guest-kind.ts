/** The kinds of module the runtime runs, told apart by their exports (compile-actor.ts). */
export type GuestKind = "wapc" | "runnable";
