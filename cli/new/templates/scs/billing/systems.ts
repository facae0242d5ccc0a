/**
 * Where the other self-contained system's pages live (the pages link to each other). The data
 * flows between the instances through change streams (feeds.ts), not through these URLs.
 */
export const ORDERS_URL = "http://127.0.0.1:3000";
export const BILLING_URL = "http://127.0.0.1:3001";
