/**
 * `planck promote`: turns a running replica into a primary (docs/replication.md, "Promote"). The
 * replica stops following, records a new epoch that starts after its last LSN, and accepts writes;
 * the old primary's frames and any replica still following it are refused from then on.
 */
import { EXIT, parseArgs, UsageError } from "./args.ts";
import { jsonLine } from "./output.ts";
import { closeTarget, openTarget, TARGET_FLAGS } from "./target.ts";

export const PROMOTE_USAGE = `planck promote [--connect STR | --data DIR] [--timeout MS]

  Makes the replica at STR (an admin's connection string; the users are the primary's) a primary:
  it stops streaming, starts a new epoch after its last LSN (saved in <data>/replication.epoch) and
  accepts writes. Prints {epoch, startLsn, primary} as JSON. There is no automatic failover: stop
  the old primary first (docs/replication.md says why and what else to do).`;

/** Runs `planck promote`. */
export async function runPromote(args: string[]): Promise<number> {
  const parsed = parseArgs(args, { flags: TARGET_FLAGS });
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
  const target = await openTarget(parsed, { local: false });
  try {
    if (target.kind !== "remote") throw new UsageError("promote needs a running replica");
    console.log(jsonLine(await target.client.promote()));
    return EXIT.ok;
  } finally {
    await closeTarget(target);
  }
}
