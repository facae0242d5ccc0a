/**
 * The Planck SDK for AssemblyScript services (the native tier, docs/wasm-abi.md): what a service
 * gets for `import { … } from "planck"`. `planck build` serves this file as the package "planck"
 * and each file as "planck/<file>" (e.g. "planck/bson"). See README.md.
 *
 * The entry file of a service must re-export the ABI functions:
 *
 *     export { planck_alloc, planck_describe, planck_handle } from "planck";
 */
export {
  BSON_ARRAY,
  BSON_BINARY,
  BSON_BOOL,
  BSON_DATE,
  BSON_DOCUMENT,
  BSON_DOUBLE,
  BSON_INT32,
  BSON_INT64,
  BSON_NULL,
  BSON_OBJECT_ID,
  BSON_STRING,
  BsonWriter,
  ITEM,
  utf8Bytes,
  utf8String,
} from "./bson";
export { BsonDoc, BsonIter, spanLength, spanStart } from "./bson_reader";
export {
  addValue,
  and,
  eq,
  exists,
  Filter,
  gt,
  gte,
  isIn,
  lt,
  lte,
  ne,
  not,
  notIn,
  or,
  startsWith,
} from "./filter";
export {
  Changes,
  changes,
  doc,
  isKey,
  query,
  QueryDocuments,
  QueryReply,
  store,
  StoreQuery,
  UpdateResult,
} from "./builder";
export {
  hostRequest,
  log,
  LOG_DEBUG,
  LOG_ERROR,
  LOG_INFO,
  LOG_WARN,
  nowMs,
  randomBytes,
  randomHex,
  toHex,
} from "./host";
export { escapeHtml, formatFixed, Html, html, StringBuilder } from "./html";
export { decodeComponent, equalsIgnoringCase, formField, indexOfUnit, Request, Response } from "./http";
export { parseJson } from "./json";
export { jsonString, toJson, toJsonArray } from "./json_writer";
export { Handler, index, planck_alloc, planck_describe, planck_handle, route } from "./router";
export { topic, topicKey, topicRange } from "./topics";
