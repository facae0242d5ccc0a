/**
 * Defaults of the command line that several subcommands share.
 */

/** Default data directory when --data is not given: `data/` under the working directory. */
export const DATA_DIR_DEFAULT = "data";
