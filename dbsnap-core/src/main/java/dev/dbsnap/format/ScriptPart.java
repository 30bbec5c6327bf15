package dev.dbsnap.format;

/**
 * Which part of the sql format an object holds. One job writes the whole script; more jobs write it
 * as scripts that, run in order in one session, are that script (see {@link
 * dev.dbsnap.export.ExportOptions#splitScript()}). The other formats ignore it.
 */
public enum ScriptPart {
  /** The whole script: settings, schema, every table's rows, the rest of the schema. */
  WHOLE,
  /** Settings, the start of the transaction, and everything the data needs. */
  PRE_DATA,
  /** The rows of one table. */
  DATA,
  /** Everything after the data, and the commit. */
  POST_DATA
}
