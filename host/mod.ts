/**
 * Everything that hosts: the wire server, HTTP, SSE, WASM runtime, replication, scheduler.
 * TODO(#5): wire server and authentication.
 */
export {};
