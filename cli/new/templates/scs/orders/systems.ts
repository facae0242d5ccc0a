/**
 * Where the other self-contained system lives. The systems integrate in the browser: billing's
 * page includes orders' `/orders/billable` fragment (htmx, cross-origin), whose buttons post to
 * billing. Change these when the instances run elsewhere.
 */
export const ORDERS_URL = "http://127.0.0.1:3000";
export const BILLING_URL = "http://127.0.0.1:3001";
